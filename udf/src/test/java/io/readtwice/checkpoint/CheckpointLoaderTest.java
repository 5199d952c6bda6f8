package io.readtwice.checkpoint;

import io.readtwice.testing.GoldenData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.model.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointLoaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static List<String> goldenNames() {
        return GoldenData.MODELS;
    }

    /** Both files of every golden model give bit-identical weights (F16/BF16 included), and no warnings. */
    @ParameterizedTest
    @MethodSource("goldenNames")
    void safetensorsAndPytorchBinGiveIdenticalWeights(String name) {
        Path dir = GoldenData.model(name);
        ModelCheckpoint st = CheckpointLoader.load(dir, WeightsFormat.SAFETENSORS);
        ModelCheckpoint pt = CheckpointLoader.load(dir, WeightsFormat.PYTORCH);
        assertEquals(List.of(), st.warnings());
        assertEquals(List.of(), pt.warnings());
        assertEquals(st.config(), pt.config());
        assertEquals(dir, st.dir());

        List<float[]> a = flatten(st.weights());
        List<float[]> b = flatten(pt.weights());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i), "array " + i);
        }
        int d = st.config().dModel();
        assertEquals(st.config().paddedVocab(), st.weights().embedding().rows());
        assertEquals(d, st.weights().embedding().cols());
        assertEquals(st.config().nLayer(), st.weights().layers().size());
        for (int i = 0; i < st.config().nLayer(); i++) {
            ModelWeights.MixerWeights mixer = st.weights().layers().get(i).mixer();
            switch (st.config().layers().get(i)) {
                case BASE_CONV -> assertInstanceOf(ModelWeights.BaseConvWeights.class, mixer);
                case PREFIX_LINEAR_ATTENTION ->
                        assertInstanceOf(ModelWeights.PrefixLinearAttentionWeights.class, mixer);
                case LINEAR_ATTENTION -> assertInstanceOf(ModelWeights.LinearAttentionWeights.class, mixer);
                case SLIDING_WINDOW_ATTENTION -> assertInstanceOf(ModelWeights.SlidingWindowWeights.class, mixer);
            }
        }
    }

    /** cases[0]: the embedding row of the last input token equals the stored vector, from either file. */
    @ParameterizedTest
    @MethodSource("goldenNames")
    void embeddingOfLastInputTokenMatchesTheCases(String name) throws IOException {
        Path dir = GoldenData.model(name);
        JsonNode c0 = JSON.readTree(dir.resolve("cases.json").toFile()).get("cases").get(0);
        JsonNode ids = c0.get("input_ids");
        int last = ids.get(ids.size() - 1).asInt();
        JsonNode expected = c0.get("embedding_last_position");
        for (WeightsFormat format : List.of(WeightsFormat.SAFETENSORS, WeightsFormat.PYTORCH, WeightsFormat.AUTO)) {
            ModelCheckpoint m = CheckpointLoader.load(dir, format);
            int d = m.config().dModel();
            assertEquals(d, expected.size());
            float[] row = new float[d + 2];
            m.weights().embedding().read(last, last + 1, row, 2);  // a single row, at an offset
            row = Arrays.copyOfRange(row, 2, d + 2);
            for (int j = 0; j < d; j++) {
                assertEquals((float) expected.get(j).asDouble(), row[j], format + " element " + j);
            }
        }
    }

    @Test
    void truncatedSafetensorsIsRefused() throws IOException {
        Path src = GoldenData.model("tiny-a").resolve("model.safetensors");
        byte[] all = Files.readAllBytes(src);
        // cut inside the header: the header length field promises more than the file has
        Path dir = modelDir("tiny-a", null);
        Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(all, 1000));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("model.safetensors").toString(), "header length", "truncated");
        // cut inside the data: the last tensors' data_offsets fall outside the data region
        Files.write(dir.resolve("model.safetensors"), Arrays.copyOf(all, all.length / 2));
        e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("model.safetensors").toString(), "data_offsets", "outside the data region");
    }

    @Test
    void truncatedPytorchBinIsRefused() throws IOException {
        byte[] all = Files.readAllBytes(GoldenData.model("tiny-based-a").resolve("pytorch_model.bin"));
        Path dir = modelDir("tiny-based-a", null);
        Files.write(dir.resolve("pytorch_model.bin"), Arrays.copyOf(all, all.length / 2));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> CheckpointLoader.load(dir, WeightsFormat.PYTORCH));
        assertMentions(e, dir.resolve("pytorch_model.bin").toString(), "truncated");
        // AUTO without a safetensors file picks the .bin
        Files.delete(dir.resolve("model.safetensors"));
        e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, "pytorch_model.bin");
    }

    @Test
    void wrongShapeIsRefusedBeforeReading() throws IOException {
        Path dir = modelDir("tiny-a",
                h -> shape(h, "transformer.layers.0.mlp.fc1.weight").removeAll().add(96).add(512));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("model.safetensors").toString(), "'transformer.layers.0.mlp.fc1.weight'",
                "[96, 512]", "expected [512, 96]");
    }

    @Test
    void missingTensorIsRefused() throws IOException {
        Path dir = modelDir("tiny-a", h -> h.remove("transformer.layers.1.mixer.proj_k_enc.weight"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("model.safetensors").toString(),
                "'transformer.layers.1.mixer.proj_k_enc.weight' is missing", "[64, 96]");
    }

    @Test
    void integerDtypeIsRefusedForAWeight() throws IOException {
        Path dir = modelDir("tiny-a", h -> ((ObjectNode) h.get("transformer.ln_f.weight")).put("dtype", "I32"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, "'transformer.ln_f.weight'", "dtype I32");
    }

    @Test
    void misshapenLmHeadIsRefusedAndExtraTensorsAreAWarning() throws IOException {
        Path dir = modelDir("tiny-a", h -> shape(h, "lm_head.weight").removeAll().add(96).add(504));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, "'lm_head.weight'", "[96, 504]");

        Path dir2 = modelDir("tiny-a", h -> {
            h.set("transformer.layers.0.mixer.decay_proj.weight", h.get("transformer.ln_f.weight"));
            h.set("extra.buffer", h.get("transformer.ln_f.weight"));
        });
        ModelCheckpoint m = CheckpointLoader.load(dir2);
        assertEquals(1, m.warnings().size());
        assertMentions(m.warnings().get(0), "2 tensor(s)", "extra.buffer",
                "transformer.layers.0.mixer.decay_proj.weight");
    }

    @Test
    void unknownMixerTargetIsRefused() throws IOException {
        Path dir = modelDir("tiny-a", null);
        editConfig(dir, c -> ((ObjectNode) c.get("alt_mixer")).put("_target_", "based.models.mixers.mamba.Mamba"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("config.json").toString(), "alt_mixer._target_",
                "based.models.mixers.mamba.Mamba");
    }

    @Test
    void basedDecayIsRefused() throws IOException {
        Path dir = modelDir("tiny-based-a", null);
        editConfig(dir, c -> c.put("fixed_decay", true));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("config.json").toString(), "fixed_decay");
    }

    @Test
    void pickleWithForeignGlobalIsRefused() throws IOException {
        Path dir = modelDir("tiny-a", null);
        Files.delete(dir.resolve("model.safetensors"));
        byte[] pickle = new PickleWriter().proto(2).orderedDict().mark().unicode("model.lm_head.weight")
                .global("os", "system").unicode("touch pwned").tuple1().reduce().setitems().stop().bytes();
        new StoredZipWriter(false, 64).add("pytorch_model/data.pkl", pickle)
                .add("pytorch_model/version", "3\n".getBytes(StandardCharsets.US_ASCII))
                .write(dir.resolve("pytorch_model.bin"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, dir.resolve("pytorch_model.bin").toString(), "'os.system'");
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(empty));
        assertMentions(e, empty.resolve("config.json").toString(), "not found");
        Path dir = modelDir("tiny-a", null);
        Files.delete(dir.resolve("model.safetensors"));
        e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir, WeightsFormat.SAFETENSORS));
        assertMentions(e, dir.resolve("model.safetensors").toString(), "not found");
        Files.delete(dir.resolve("pytorch_model.bin"));
        e = assertThrows(CheckpointException.class, () -> CheckpointLoader.load(dir));
        assertMentions(e, "no weights file");
    }

    /**
     * A copy of a golden model folder in the temp dir: config.json, pytorch_model.bin and model.safetensors, the
     * latter with its header edited by {@code editHeader} (unchanged when null).
     */
    private Path modelDir(String name, Consumer<ObjectNode> editHeader) throws IOException {
        Path src = GoldenData.model(name);
        Path dir = Files.createDirectories(tmp.resolve(name + "-" + System.nanoTime()));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(src.resolve("pytorch_model.bin"), dir.resolve("pytorch_model.bin"));
        SafetensorsWriter.copyWithHeader(src.resolve("model.safetensors"), dir.resolve("model.safetensors"),
                editHeader == null ? h -> { } : editHeader);
        return dir;
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
    }

    private static ArrayNode shape(ObjectNode header, String tensor) {
        return (ArrayNode) header.get(tensor).get("shape");
    }

    private static void assertMentions(CheckpointException e, String... parts) {
        assertMentions(e.getMessage(), parts);
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message lacks '" + p + "': " + message);
        }
    }

    private static List<float[]> flatten(ModelWeights w) {
        java.util.ArrayList<float[]> out = new java.util.ArrayList<>(List.of(w.embedding().toArray(), w.lnF()));
        for (ModelWeights.LayerWeights l : w.layers()) {
            out.addAll(List.of(l.norm1(), l.norm2(), l.fc1().toArray(), l.fc2().toArray()));
            ModelWeights.MixerWeights mixer = l.mixer();
            if (mixer instanceof ModelWeights.BaseConvWeights m) {
                out.addAll(List.of(m.inProj().toArray(), m.inBias(), m.conv(), m.outProj().toArray(), m.outBias()));
            } else if (mixer instanceof ModelWeights.PrefixLinearAttentionWeights m) {
                out.addAll(arrays(m.projQ(), m.projK(), m.projKEnc(), m.projV(), m.projVEnc(), m.outProj()));
            } else if (mixer instanceof ModelWeights.LinearAttentionWeights m) {
                out.addAll(arrays(m.projQ(), m.projK(), m.projV(), m.outProj()));
            } else if (mixer instanceof ModelWeights.SlidingWindowWeights m) {
                out.addAll(arrays(m.wqkv(), m.outProj()));
            }
        }
        return out;
    }

    private static List<float[]> arrays(MatrixSource... sources) {
        return java.util.Arrays.stream(sources).map(MatrixSource::toArray).toList();
    }
}
