package io.readtwice.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.model.BasedDecode;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.SequenceState;
import io.readtwice.prompt.PromptBuilder;
import io.readtwice.prompt.PromptFields;
import io.readtwice.prompt.PromptOptions;
import io.readtwice.prompt.Task;
import io.readtwice.text.Gpt2Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled trained model: it loads, fits the size the project allows, and the Java engine computes the same
 * logits and greedy tokens as the PyTorch model they were trained with (notebooks/training), so trained weights mean
 * the same thing in both.
 */
class BundledModelsTest {
    private static final int PROMPTS = 6;
    private static final int NEW_TOKENS = 4;

    @TempDir
    Path tmp;

    @Test
    void loadsAndFitsTheSizeLimit() throws Exception {
        Path dir = DemoModel.extract(tmp.resolve("model"));
        assertTrue(Files.size(dir.resolve("model.safetensors")) <= 20L << 20, "at most 20 MB");
        ModelCheckpoint checkpoint = CheckpointLoader.load(dir);
        assertTrue(checkpoint.config().isJrt());
        assertEquals(Gpt2Tokenizer.PADDED_VOCAB_SIZE, checkpoint.config().paddedVocab());
    }

    @Test
    void javaEngineMatchesThePyTorchModel() throws Exception {
        PythonTorch.assume();
        Path dir = DemoModel.extract(tmp.resolve("model"));
        ModelCheckpoint checkpoint = CheckpointLoader.load(dir);
        LanguageModel model = new LanguageModel(checkpoint.config(), checkpoint.weights(), new CpuBackend(1));
        int vocab = checkpoint.config().paddedVocab();
        int enc = checkpoint.config().isJrt() ? checkpoint.config().linearAttention().encLength() : 0;

        ObjectMapper json = new ObjectMapper();
        ObjectNode request = json.createObjectNode().put("model", dir.toString());
        ArrayNode cases = request.putArray("cases");
        List<float[]> javaRows = new ArrayList<>();
        List<int[]> javaTokens = new ArrayList<>();
        for (int[] ids : samplePrompts()) {
            int pads = Math.max(0, enc - ids.length);
            int[] fed = new int[pads + ids.length];
            Arrays.fill(fed, 0, pads, 220);
            System.arraycopy(ids, 0, fed, pads, ids.length);

            LanguageModel.Prefill prefill = model.prefill(List.of(fed), new int[] {pads}, false, null);
            List<SequenceState> states = prefill.states();
            float[] logits = prefill.logits();
            int[] greedy = new int[NEW_TOKENS];
            for (int step = 0; step < NEW_TOKENS; step++) {
                javaRows.add(logits);
                greedy[step] = argmax(logits, 0, vocab);
                if (step + 1 < NEW_TOKENS) {
                    logits = model.step(states, new int[] {greedy[step]}, BasedDecode.CONSISTENT);
                }
            }
            javaTokens.add(greedy);

            ObjectNode c = cases.addObject();
            ArrayNode all = c.putArray("ids");
            for (int t : fed) {
                all.add(t);
            }
            for (int i = 0; i + 1 < NEW_TOKENS; i++) {
                all.add(greedy[i]);
            }
            if (enc > 0) {
                c.put("encoder_length", Math.min(enc, fed.length)).put("masked", pads);
            }
            c.put("from", fed.length - 1);
        }
        Path requestFile = tmp.resolve("request.json");
        Path out = tmp.resolve("logits.f32");
        json.writeValue(requestFile.toFile(), request);
        PythonTorch.Result r = PythonTorch.run(List.of("reference_logits.py", requestFile.toString(),
                out.toString()), 300);
        assertEquals(0, r.exit(), r.output());

        ByteBuffer torch = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals((long) javaRows.size() * vocab * 4, torch.capacity(), "rows from PyTorch");
        double worst = 0;
        for (int row = 0; row < javaRows.size(); row++) {
            float[] java = javaRows.get(row);
            float[] ref = new float[vocab];
            torch.asFloatBuffer().position(row * vocab).get(ref);
            for (int v = 0; v < vocab; v++) {
                double gap = Math.abs(java[v] - ref[v]);
                worst = Math.max(worst, gap);
                assertTrue(gap <= 2e-4 + 1e-5 * Math.abs(ref[v]),
                        "row " + row + " logit " + v + ": java " + java[v] + " torch " + ref[v]);
            }
            int prompt = row / NEW_TOKENS;
            int step = row % NEW_TOKENS;
            assertEquals(javaTokens.get(prompt)[step], argmax(ref, 0, vocab),
                    "prompt " + prompt + " step " + step + ": greedy token");
        }
        System.out.printf("Java vs PyTorch, %d rows, worst |delta logit| %.3g%n", javaRows.size(), worst);
    }

    @Test
    void pythonModelPassesTheGoldenParityTests() throws Exception {
        PythonTorch.assume();
        PythonTorch.Result r = PythonTorch.run(List.of("-m", "unittest", "-v", "test_parity"), 600);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("OK") && !r.output().contains("skipped"), r.output());
    }

    /** The job's FDA default prompts (token ids) of the first recall sample rows. */
    private static List<int[]> samplePrompts() throws Exception {
        ObjectMapper json = new ObjectMapper();
        PromptBuilder fda = PromptBuilder.create(PromptOptions.defaults().withTask(Task.FDA));
        List<int[]> prompts = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                DemoModel.resource("recall-sample.jsonl"), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null && prompts.size() < PROMPTS; line = r.readLine()) {
                JsonNode row = json.readTree(line);
                prompts.add(fda.build(Map.of(PromptFields.CONTEXT, row.get("context").asText(),
                        PromptFields.QUESTION, row.get("question").asText()), List.of()).ids());
            }
        }
        return prompts;
    }

    private static int argmax(float[] row, int from, int n) {
        int best = from;
        for (int i = from + 1; i < from + n; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best - from;
    }
}
