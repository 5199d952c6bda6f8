package io.readtwice.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.testing.GoldenData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java engine against the reference PyTorch implementation (../shared/golden): forward logits, every decode
 * step's logits, greedy tokens, and per-layer traces, for every golden model loaded from both file formats.
 */
class GoldenParityTest {
    static final String[] MODELS = GoldenData.MODELS.toArray(String[]::new);
    private static final Map<String, LanguageModel> LOADED = new ConcurrentHashMap<>();
    private static final CpuBackend BACKEND = new CpuBackend();

    static LanguageModel model(String name, WeightsFormat format) {
        return LOADED.computeIfAbsent(name + "/" + format, key -> {
            ModelCheckpoint checkpoint = CheckpointLoader.load(GoldenData.model(name), format);
            return new LanguageModel(checkpoint.config(), checkpoint.weights(), BACKEND);
        });
    }

    @AfterAll
    static void reportWorstDifferences() {
        Golden.WORST.forEach((model, worst) -> System.out.printf("golden parity %s: max |Δ| %.3g%n", model, worst));
    }

    static Stream<Arguments> modelsAndFormats() {
        return Stream.of(MODELS).flatMap(m -> Stream.of(
                Arguments.of(m, WeightsFormat.SAFETENSORS), Arguments.of(m, WeightsFormat.PYTORCH)));
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("modelsAndFormats")
    void forwardLogitsMatchTheReference(String name, WeightsFormat format) {
        LanguageModel model = model(name, format);
        int vocab = model.config().paddedVocab();
        for (JsonNode c : GoldenData.cases(name).get("cases")) {
            int[] fed = GoldenData.ints(c.get("padded_input_ids"));
            LanguageModel.Prefill prefill = model.prefill(List.of(fed), new int[] {Golden.maskedKeys(c)}, true, null);
            JsonNode forward = c.get("forward");
            int[] positions = GoldenData.ints(forward.get("positions"));
            for (int i = 0; i < positions.length; i++) {
                String what = name + "/" + c.get("name").asText() + " forward position " + positions[i];
                checkRow(what, prefill.logits(), positions[i], vocab, forward.get("logits"), forward, i);
            }
        }
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("modelsAndFormats")
    void decodeStepsMatchTheReference(String name, WeightsFormat format) {
        LanguageModel model = model(name, format);
        for (JsonNode c : GoldenData.cases(name).get("cases")) {
            JsonNode g = c.get("generation");
            // Based: the reference harness's decode, double kv update included (model-spec §10.4).
            checkSteps(model, name + "/" + c.get("name").asText(), c, BasedDecode.REFERENCE,
                    GoldenData.ints(g.get("new_tokens")), g.get("step_logits"), g.get("step_logits_compact"), true);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tiny-based-a", "tiny-gpt2-based"})
    void consistentBasedDecodeEqualsTheParallelForward(String name) {
        LanguageModel model = model(name, WeightsFormat.SAFETENSORS);
        for (JsonNode c : GoldenData.cases(name).get("cases")) {
            JsonNode pc = c.get("parallel_consistent");
            String what = name + "/" + c.get("name").asText() + " consistent";
            checkSteps(model, what + " greedy", c, BasedDecode.CONSISTENT, GoldenData.ints(pc.get("greedy_new_tokens")),
                    pc.get("greedy_step_logits"), pc.get("greedy_step_logits_compact"), true);
            // Teacher-forced on the reference decode's tokens, which consistent greedy need not pick.
            checkSteps(model, what + " teacher-forced", c, BasedDecode.CONSISTENT,
                    GoldenData.ints(c.get("generation").get("new_tokens")), pc.get("teacher_forced_step_logits"),
                    pc.get("teacher_forced_step_logits_compact"), false);
        }
    }

    /**
     * 16-bit storage is exact for a checkpoint stored in that format (bfloat16 Based, float16 JRT-RNN), so the
     * reference must still be met; the matrices are read from the file straight into 16-bit storage.
     */
    @ParameterizedTest(name = "{0} as {1}")
    @CsvSource({"tiny-gpt2-based, BF16", "tiny-gpt2-jrt, FP16"})
    void halfPrecisionStorageOfAHalfPrecisionCheckpointMatchesTheReference(String name, WeightPrecision precision) {
        ModelCheckpoint checkpoint = CheckpointLoader.load(GoldenData.model(name), WeightsFormat.SAFETENSORS,
                precision);
        LanguageModel model = new LanguageModel(checkpoint.config(), checkpoint.weights(), BACKEND, precision);
        assertEquals(precision, model.precision());
        for (JsonNode c : GoldenData.cases(name).get("cases")) {
            JsonNode g = c.get("generation");
            checkSteps(model, name + "/" + c.get("name").asText() + " " + precision.label(), c,
                    BasedDecode.REFERENCE, GoldenData.ints(g.get("new_tokens")), g.get("step_logits"),
                    g.get("step_logits_compact"), true);
        }
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("modelsAndFormats")
    void layerTracesOfTheFirstCaseMatch(String name, WeightsFormat format) {
        LanguageModel model = model(name, format);
        JsonNode c = GoldenData.cases(name).get("cases").get(0);
        JsonNode trace = c.get("layer_trace");
        int[] fed = GoldenData.ints(c.get("padded_input_ids"));
        int d = model.config().dModel();
        List<float[][]> seen = new ArrayList<>();
        model.prefill(List.of(fed), new int[] {Golden.maskedKeys(c)}, true,
                (layer, mixerOut, residual, hidden) -> seen.add(new float[][] {mixerOut, residual, hidden}));
        assertEquals(model.config().nLayer(), seen.size());
        String[] names = {"mixer_out", "block_residual_out", "block_hidden_out"};
        for (int layer = 0; layer < seen.size(); layer++) {
            for (int kind = 0; kind < names.length; kind++) {
                JsonNode rows = trace.get(names[kind]).get(layer);
                double magnitude = 0;
                for (JsonNode row : rows) {
                    magnitude = Math.max(magnitude, Golden.maxAbs(GoldenData.doubles(row)));
                }
                for (int t = 0; t < rows.size(); t++) {
                    Golden.assertClose(name + " layer " + layer + " " + names[kind] + " position " + t,
                            GoldenData.doubles(rows.get(t)), seen.get(layer)[kind], t * d, magnitude);
                }
            }
        }
    }

    /** Prefill then teacher-forced recurrent steps; step k's logits predict tokens[k]. */
    private static void checkSteps(LanguageModel model, String what, JsonNode c, BasedDecode decode, int[] tokens,
                                   JsonNode fullRows, JsonNode compact, boolean greedy) {
        int vocab = model.config().paddedVocab();
        int[] fed = GoldenData.ints(c.get("padded_input_ids"));
        LanguageModel.Prefill prefill = model.prefill(List.of(fed), new int[] {Golden.maskedKeys(c)}, false, null);
        float[] logits = prefill.logits();
        for (int k = 0; k < tokens.length; k++) {
            if (k > 0) {
                logits = model.step(prefill.states(), new int[] {tokens[k - 1]}, decode);
            }
            checkRow(what + " step " + k, logits, 0, vocab, fullRows, compact, k);
            if (greedy) {
                assertEquals(tokens[k], argmax(logits, vocab), what + " greedy token at step " + k);
            }
        }
    }

    /** Compares one of our logit rows with a full reference row or a compact block's entry. */
    static void checkRow(String what, float[] logits, int row, int vocab, JsonNode fullRows, JsonNode compact,
                         int index) {
        if (fullRows != null) {
            Golden.assertClose(what, GoldenData.doubles(fullRows.get(index)), logits, row * vocab, 0);
            return;
        }
        int chosen = compact.get("chosen_ids").get(index).asInt();
        Golden.assertClose(what + " chosen logit", new double[] {compact.get("chosen_logit").get(index).asDouble()},
                logits, row * vocab + chosen, 0);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[row * vocab + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[row * vocab + i] - max);
        }
        double refLse = compact.get("logsumexp").get(index).asDouble();
        Golden.assertClose(what + " logsumexp", new double[] {refLse}, new float[] {(float) (max + Math.log(sum))},
                0, 0);
        int[] topIds = GoldenData.ints(compact.get("top5_ids").get(index));
        double[] topLogits = GoldenData.doubles(compact.get("top5_logits").get(index));
        float[] ours = new float[topIds.length];
        for (int i = 0; i < topIds.length; i++) {
            ours[i] = logits[row * vocab + topIds[i]];
        }
        Golden.assertClose(what + " top-5 logits", topLogits, ours, 0, 0);
        if (compact.get("top6_min_consecutive_gap").get(index).asDouble() > 1e-3) {
            assertArrayEquals(topIds, topK(logits, row, vocab, topIds.length), what + " top-5 ids");
        }
    }

    static int argmax(float[] logits, int vocab) {
        return topK(logits, 0, vocab, 1)[0];
    }

    private static int[] topK(float[] logits, int row, int vocab, int k) {
        int[] best = new int[k];
        boolean[] taken = new boolean[vocab];
        for (int j = 0; j < k; j++) {
            int b = -1;
            for (int i = 0; i < vocab; i++) {
                if (!taken[i] && (b < 0 || logits[row * vocab + i] > logits[row * vocab + b])) {
                    b = i;
                }
            }
            taken[b] = true;
            best[j] = b;
        }
        assertTrue(best.length == k);
        return best;
    }
}
