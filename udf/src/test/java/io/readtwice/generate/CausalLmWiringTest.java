package io.readtwice.generate;

import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.CausalLm;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.SequenceState;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Generator runs any {@link CausalLm}: through the interface the CPU engine gives the same generations, a step
 * names the still-running sequences in prefill order (what the device model relies on), and the states are
 * released once at the end, also when generation fails.
 */
class CausalLmWiringTest {
    private static LanguageModel model;

    @BeforeAll
    static void load() {
        ModelCheckpoint c = CheckpointLoader.load(GoldenData.model("tiny-a"));
        model = new LanguageModel(c.config(), c.weights(), new CpuBackend(1));
    }

    /** Delegates to the CPU engine and records what the generator asks. */
    private static final class Recording implements CausalLm<SequenceState> {
        final List<List<SequenceState>> steps = new ArrayList<>();
        final List<List<SequenceState>> released = new ArrayList<>();
        List<SequenceState> prefilled;
        int failAtStep = -1;

        @Override
        public ModelConfig config() {
            return model.config();
        }

        @Override
        public WeightPrecision precision() {
            return model.precision();
        }

        @Override
        public int tokenLimit() {
            return model.tokenLimit();
        }

        @Override
        public Prefill<SequenceState> prefill(List<int[]> sequences, int[] maskedKeys, boolean allPositions) {
            LanguageModel.Prefill p = model.prefill(sequences, maskedKeys, allPositions);
            prefilled = p.states();
            return p;
        }

        @Override
        public float[] step(List<SequenceState> states, int[] tokens, BasedDecode basedDecode) {
            if (steps.size() == failAtStep) {
                throw new IllegalStateException("device lost");
            }
            steps.add(List.copyOf(states));
            return model.step(states, tokens, basedDecode);
        }

        @Override
        public void release(List<SequenceState> states) {
            released.add(List.copyOf(states));
        }
    }

    private static GenerationOptions options(int maxNewTokens, List<String> stops) {
        return new GenerationOptions(maxNewTokens, stops, 0, JrtPadding.LEFT, BasedDecode.CONSISTENT);
    }

    private static String text(int[] ids) {
        return Arrays.toString(ids);
    }

    @Test
    void throughTheInterfaceTheCpuEngineGeneratesTheSameAndStatesAreReleasedOnce() {
        List<int[]> prompts = List.of(new int[] {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21},
                new int[] {40, 41}, new int[] {100, 101, 102, 103, 104});
        List<Generation> direct = new Generator(model, CausalLmWiringTest::text).generate(prompts, options(6, List.of()));
        Recording recording = new Recording();
        List<Generation> wired = new Generator(recording, CausalLmWiringTest::text).generate(prompts,
                options(6, List.of()));
        for (int s = 0; s < prompts.size(); s++) {
            assertArrayEquals(direct.get(s).tokenIds(), wired.get(s).tokenIds());
            assertArrayEquals(direct.get(s).tokenLogprobs(), wired.get(s).tokenLogprobs());
        }
        assertEquals(5, recording.steps.size(), "6 tokens: the prefill's and 5 steps");
        assertEquals(List.of(recording.prefilled), recording.released, "released once, every state of the prefill");
    }

    @Test
    void aStepNamesTheRunningSequencesInPrefillOrder() {
        List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {7, 8}, new int[] {9, 10, 11, 12},
                new int[] {300, 301});
        List<Generation> first = new Generator(model, CausalLmWiringTest::text).generate(prompts,
                options(1, List.of()));
        int stopToken = first.get(1).tokenIds()[0];
        // every sequence whose first token is sequence 1's stops there; the others run on
        Recording recording = new Recording();
        new Generator(recording, ids -> ids.length == 1 && ids[0] == stopToken ? "STOP" : text(ids))
                .generate(prompts, options(4, List.of("STOP")));
        assertTrue(!recording.steps.isEmpty() && recording.steps.get(0).size() < prompts.size(),
                "sequence 1 is left out of the steps, others step: " + recording.steps.size() + " steps");
        for (List<SequenceState> step : recording.steps) {
            int previous = -1;
            for (SequenceState s : step) {
                int at = recording.prefilled.indexOf(s);
                assertTrue(at > previous, "prefill order");
                previous = at;
            }
        }
    }

    @Test
    void statesAreReleasedWhenAStepFails() {
        Recording recording = new Recording();
        recording.failAtStep = 1;
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Generator(recording, CausalLmWiringTest::text).generate(List.of(new int[] {3, 4, 5}),
                        options(5, List.of())));
        assertEquals("device lost", e.getMessage());
        assertEquals(1, recording.released.size());
        assertSame(recording.prefilled.get(0), recording.released.get(0).get(0));
    }
}
