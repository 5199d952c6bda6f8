package io.readtwice.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.generate.Generation;
import io.readtwice.generate.GenerationOptions;
import io.readtwice.generate.Generator;
import io.readtwice.generate.JrtPadding;
import io.readtwice.testing.GoldenData;
import io.readtwice.text.Gpt2Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * All golden cases of a model run as one batch give each case's results from running it alone, and the
 * reference's. Batching changes BLAS's summation order, so "the same" means within the golden tolerance.
 */
class BatchingTest {

    static Stream<String> models() {
        return Stream.of(GoldenParityTest.MODELS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void oneBatchedPrefillAndDecodeEqualsOneByOne(String name) {
        LanguageModel model = GoldenParityTest.model(name, WeightsFormat.SAFETENSORS);
        int vocab = model.config().paddedVocab();
        JsonNode cases = GoldenData.cases(name).get("cases");
        List<int[]> fed = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        List<Integer> masked = new ArrayList<>();
        for (JsonNode c : cases) {
            fed.add(GoldenData.ints(c.get("padded_input_ids")));
            tokens.add(GoldenData.ints(c.get("generation").get("new_tokens")));
            masked.add(Golden.maskedKeys(c));
        }
        int batch = fed.size();
        LanguageModel.Prefill together = model.prefill(fed, masked.stream().mapToInt(i -> i).toArray(), false, null);
        List<LanguageModel.Prefill> alone = new ArrayList<>();
        for (int s = 0; s < batch; s++) {
            alone.add(model.prefill(List.of(fed.get(s)), new int[] {masked.get(s)}, false, null));
            assertRowEquals(name + " case " + s + " prefill", alone.get(s).logits(), 0, together.logits(), s, vocab);
            checkAgainstGolden(name + " case " + s + " batched", cases.get(s), together.logits(), s, vocab, 0);
        }
        for (int k = 1; k < tokens.get(0).length; k++) {
            int[] next = new int[batch];
            for (int s = 0; s < batch; s++) {
                next[s] = tokens.get(s)[k - 1];
            }
            float[] batched = model.step(together.states(), next, BasedDecode.REFERENCE);
            for (int s = 0; s < batch; s++) {
                float[] single = model.step(alone.get(s).states(), new int[] {next[s]}, BasedDecode.REFERENCE);
                assertRowEquals(name + " case " + s + " step " + k, single, 0, batched, s, vocab);
                checkAgainstGolden(name + " case " + s + " batched", cases.get(s), batched, s, vocab, k);
            }
        }
    }

    /** Sequences that stop early leave the batch; the others go on unchanged. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-gpt2-jrt", "tiny-gpt2-based"})
    void generationWithStopsIsTheSameInABatch(String name) {
        LanguageModel model = GoldenParityTest.model(name, WeightsFormat.SAFETENSORS);
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.shared();
        Generator generator = new Generator(model, tokenizer::decode);
        List<int[]> prompts = new ArrayList<>();
        for (JsonNode c : GoldenData.cases(name).get("cases")) {
            prompts.add(GoldenData.ints(c.get("input_ids")));
        }
        // A stop that the first case's third token completes, so that case leaves the batch early.
        JsonNode first = GoldenData.cases(name).get("cases").get(0).get("generation").get("new_tokens");
        String stop = tokenizer.decode(new int[] {first.get(2).asInt()});
        GenerationOptions options = new GenerationOptions(8, List.of(stop), 3, JrtPadding.LEFT,
                BasedDecode.REFERENCE);

        List<Generation> together = generator.generate(prompts, options);
        assertEquals(stop, together.get(0).stoppedBy());
        for (int s = 0; s < prompts.size(); s++) {
            Generation single = generator.generate(List.of(prompts.get(s)), options).get(0);
            Generation batched = together.get(s);
            assertArrayEquals(single.tokenIds(), batched.tokenIds(), name + " case " + s);
            assertArrayEquals(single.tokenLogprobs(), batched.tokenLogprobs(), (float) Golden.ATOL, name + " case " + s);
            assertEquals(single.text(), batched.text());
            assertEquals(single.stoppedBy(), batched.stoppedBy());
            assertEquals(single.paddedPromptTokens(), batched.paddedPromptTokens());
        }
    }

    private static void checkAgainstGolden(String what, JsonNode c, float[] logits, int row, int vocab, int step) {
        JsonNode g = c.get("generation");
        GoldenParityTest.checkRow(what + " step " + step, logits, row, vocab, g.get("step_logits"),
                g.get("step_logits_compact"), step);
    }

    private static void assertRowEquals(String what, float[] expected, int expectedRow, float[] actual,
                                        int actualRow, int vocab) {
        for (int i = 0; i < vocab; i++) {
            float e = expected[expectedRow * vocab + i];
            float a = actual[actualRow * vocab + i];
            if (Math.abs(e - a) > Golden.ATOL + Golden.RTOL * Math.abs(e)) {
                throw new AssertionError(what + ": logit " + i + " is " + a + " batched, " + e + " alone");
            }
        }
    }
}
