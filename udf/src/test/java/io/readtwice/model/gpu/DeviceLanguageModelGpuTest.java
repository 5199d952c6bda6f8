package io.readtwice.model.gpu;

import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.gpu.GpuDevice;
import io.readtwice.kernels.gpu.GpuProbe;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.SequenceState;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.readtwice.model.Bf16Parity.assertClose;
import static io.readtwice.model.Bf16Parity.assertGoldenAgreement;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The device-resident model on the GPU: golden models against the CPU engine (float32 weights) within the bf16
 * tolerances of docs/gpu-backend.md (logits within 2e-2·max|ref| + 1e-3 after prefill and after each of 16 decode
 * steps, each fed the CPU's token; greedy tokens agreeing on ≥ 95 % of steps); a prompt read in several chunks
 * equals one read at once; decode steps replayed as CUDA graphs equal direct launches, also when the batch shrinks.
 * Needs a GPU; each test is skipped with the probe's reason elsewhere. Models: as GpuGoldenParityTest
 * ({@code -Dreadtwice.gpu.golden}, else all golden models).
 */
@Tag("gpu")
class DeviceLanguageModelGpuTest {
    private static final int STEPS = 16;
    private static final int WHOLE = 1 << 20;

    @BeforeEach
    void needsGpu() {
        assumeTrue(GpuProbe.available(), "no GPU: " + GpuProbe.description());
    }

    static String[] models() {
        String property = System.getProperty("readtwice.gpu.golden", "").trim();
        if (property.isEmpty()) {
            return GoldenData.MODELS.toArray(String[]::new);
        }
        return Arrays.stream(property.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toArray(String[]::new);
    }

    private static DeviceLanguageModel onDevice(ModelCheckpoint c, boolean graphs, int chunkTokens) {
        return new DeviceLanguageModel(c.config(), c.weights(), GpuDevice.open(), true, graphs, chunkTokens);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void goldenModelsMatchTheCpuEngineWithinBf16Tolerance(String name) {
        ModelCheckpoint checkpoint = CheckpointLoader.load(GoldenData.model(name));
        LanguageModel cpu = new LanguageModel(checkpoint.config(), checkpoint.weights(), new CpuBackend(1));
        try (DeviceLanguageModel gpu = onDevice(checkpoint, true, DeviceLanguageModel.DEFAULT_CHUNK_TOKENS)) {
            assertGoldenAgreement("device model", name, cpu, gpu, STEPS);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void aPromptReadInChunksEqualsOneReadAtOnce(String name) {
        ModelCheckpoint checkpoint = CheckpointLoader.load(GoldenData.model(name));
        int vocab = checkpoint.config().vocabSize();
        Random random = new Random(name.hashCode());
        List<int[]> prompts = new ArrayList<>();
        for (int length : new int[] {150, 17, 90}) {
            prompts.add(random.ints(length, 0, vocab).toArray());
        }
        int prefix = checkpoint.config().isJrt() ? checkpoint.config().linearAttention().encLength() : 0;
        int chunk = Math.max(40, 3 * prefix);      // several chunks; the three prefixes fit the first
        try (DeviceLanguageModel whole = onDevice(checkpoint, false, WHOLE);
             DeviceLanguageModel chunked = onDevice(checkpoint, false, chunk)) {
            DeviceLanguageModel.DevicePrefill a = whole.prefill(prompts, null, true);
            DeviceLanguageModel.DevicePrefill b = chunked.prefill(prompts, null, true);
            assertClose(name + " all positions", a.logits(), b.logits());
            int[] tokens = {1, 2, 3};
            for (int s = 0; s < 4; s++) {
                assertClose(name + " step " + s + " after the prefill", whole.step(a.states(), tokens,
                        BasedDecode.CONSISTENT), chunked.step(b.states(), tokens, BasedDecode.CONSISTENT));
            }
            whole.release(a.states());
            chunked.release(b.states());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void graphReplayEqualsDirectLaunchesAsTheBatchShrinks(String name) {
        ModelCheckpoint checkpoint = CheckpointLoader.load(GoldenData.model(name));
        LanguageModel cpu = new LanguageModel(checkpoint.config(), checkpoint.weights(), new CpuBackend(1));
        Random random = new Random(5);
        List<int[]> prompts = new ArrayList<>();
        for (int length : new int[] {30, 12, 50, 7}) {
            prompts.add(random.ints(length, 0, checkpoint.config().vocabSize()).toArray());
        }
        try (DeviceLanguageModel direct = onDevice(checkpoint, false, WHOLE);
             DeviceLanguageModel graphs = onDevice(checkpoint, true, WHOLE)) {
            DeviceLanguageModel.DevicePrefill a = direct.prefill(prompts, null, false);
            DeviceLanguageModel.DevicePrefill b = graphs.prefill(prompts, null, false);
            LanguageModel.Prefill c = cpu.prefill(prompts, null, false);
            assertArrayEquals(a.logits(), b.logits());
            List<Integer> running = new ArrayList<>(List.of(0, 1, 2, 3));
            for (int step = 0; step < 9; step++) {
                if (step == 4) {
                    running.remove(Integer.valueOf(1));    // sequence 1 stops: rows move, new batch size
                }
                if (step == 7) {
                    running.remove(Integer.valueOf(0));
                }
                int[] tokens = new int[running.size()];
                List<DeviceSequence> sa = new ArrayList<>();
                List<DeviceSequence> sb = new ArrayList<>();
                List<SequenceState> sc = new ArrayList<>();
                for (int i = 0; i < tokens.length; i++) {
                    int s = running.get(i);
                    tokens[i] = 10 + s + step;
                    sa.add(a.states().get(s));
                    sb.add(b.states().get(s));
                    sc.add(c.states().get(s));
                }
                float[] la = direct.step(sa, tokens, BasedDecode.REFERENCE);
                float[] lb = graphs.step(sb, tokens, BasedDecode.REFERENCE);
                float[] lc = cpu.step(sc, tokens, BasedDecode.REFERENCE);
                assertArrayEquals(la, lb, name + " step " + step + ": the graph replays the same launches");
                assertClose(name + " step " + step + " against the CPU engine", lc, lb);
            }
            StepGraphs<?> captured = b.states().get(2).batch().graphs();
            assertTrue(captured.captureFailure() == null, "capture failed: " + captured.captureFailure());
            assertTrue(captured.captured() == 3, "graphs for 4, 3 and 2 sequences: " + captured.captured());
            direct.release(a.states());
            graphs.release(b.states());
        }
    }
}
