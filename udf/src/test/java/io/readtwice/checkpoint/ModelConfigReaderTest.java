package io.readtwice.checkpoint;

import io.readtwice.testing.GoldenData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.readtwice.model.MixerKind;
import io.readtwice.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<String> goldenNames() {
        return GoldenData.MODELS;
    }

    /** Every derived value against the golden resolved-config.json. */
    @ParameterizedTest
    @MethodSource("goldenNames")
    void derivationMatchesResolvedConfig(String name) throws IOException {
        JsonNode resolved = JSON.readTree(GoldenData.model(name).resolve("resolved-config.json").toFile());
        List<String> warnings = new ArrayList<>();
        ModelConfig c = ModelConfigReader.read(GoldenData.model(name).resolve("config.json"), warnings);
        assertEquals(List.of(), warnings);

        List<MixerKind> kinds = new ArrayList<>();
        for (JsonNode k : resolved.get("layer_kinds")) {
            kinds.add(MixerKind.valueOf(k.asText().toUpperCase()));
        }
        assertEquals(kinds, c.layers());
        assertEquals(resolved.get("n_layer").asInt(), c.nLayer());
        assertEquals(resolved.get("d_model").asInt(), c.dModel());
        assertEquals(resolved.get("vocab_size").asInt(), c.vocabSize());
        assertEquals(resolved.get("vocab_size_padded").asInt(), c.paddedVocab());
        assertEquals((float) resolved.at("/norm/eps").asDouble(), c.normEps());
        assertEquals(resolved.at("/mlp/hidden").asInt(), c.mlpHidden());
        assertEquals(resolved.at("/mlp/fc1_out").asInt(), 2 * c.mlpHidden());

        JsonNode conv = resolved.get("base_conv");
        assertEquals(conv.get("expand_proj").asInt(), c.baseConv().expandProj());
        assertEquals(conv.get("kernel_size").asInt(), c.baseConv().kernelSize());
        assertEquals(conv.get("d_inner").asInt(), c.baseConv().convChannels(c.dModel()));

        boolean jrt = resolved.has("prefix_linear_attention");
        assertEquals(jrt, c.isJrt());
        JsonNode linear = resolved.get(jrt ? "prefix_linear_attention" : "linear_attention");
        ModelConfig.LinearAttentionConfig la = c.linearAttention();
        assertEquals(linear.get("num_heads").asInt(), la.numHeads());
        assertEquals(linear.get("feature_dim").asInt(), la.featureDim());
        assertEquals(linear.get("head_dim").asInt(), la.headDim());
        assertEquals(linear.get("expanded_feature_dim").asInt(), la.expandedFeatureDim());
        assertEquals((float) linear.get("eps").asDouble(), la.eps());
        assertEquals(jrt ? linear.get("enc_length").asInt() : 0, la.encLength());
        assertEquals(jrt && linear.get("use_mask").asBoolean(), la.useMask());

        JsonNode swa = resolved.get("sliding_window_attention");
        ModelConfig.SlidingWindowConfig sw = c.slidingWindow();
        assertEquals(swa.get("num_heads").asInt(), sw.numHeads());
        assertEquals(swa.get("head_dim").asInt(), sw.headDim());
        assertEquals(swa.get("flash_window_left").asInt(), sw.windowBack());
        assertEquals(0, swa.get("flash_window_right").asInt());
        assertEquals(swa.get("rotary_dim").asInt(), sw.headDim()); // rotary on the full head dim
        assertEquals((float) swa.get("rotary_base").asDouble(), sw.rotaryBase());
    }

    @Test
    void acceptsTheOldTargetNamesOfTheBasedRelease() throws IOException {
        ModelConfig current = parse("tiny-based-a", c -> { });
        ModelConfig old = parse("tiny-based-a", c -> {
            mixer(c, "mixer").put("_target_", "src.models.mixers.base_conv.BaseConvWithSiLU4");
            mixer(c, "alt_mixer").put("_target_", "src.models.mixers.linear_attention.LinearAttention");
            ((ObjectNode) mixer(c, "alt_mixer").get("feature_map"))
                    .put("_target_", "src.models.mixers.linear_attention.TaylorExp");
            mixer(c, "alt_mixer_2").put("_target_", "src.models.mixers.slide_fa2.SlidingsMHA").put("do_update", true);
        });
        assertEquals(current, old);
    }

    @Test
    void appliesTheReferenceDefaults() throws IOException {
        ModelConfig c = parse("tiny-b", root -> {
            root.putNull("n_inner"); // 4·d = 320 → rounded up to 512
            mixer(root, "alt_mixer").remove(List.of("feature_dim", "use_mask"));
            mixer(root, "alt_mixer_2").remove("num_heads"); // falls back to n_head (2)
            mixer(root, "mixer").remove(List.of("expand_proj", "kernel_sizes"));
        });
        assertEquals(512, c.mlpHidden());
        assertEquals(16, c.linearAttention().featureDim());
        assertTrue(c.linearAttention().useMask());
        assertEquals(2, c.slidingWindow().numHeads());
        assertEquals(40, c.slidingWindow().headDim());
        assertEquals(4, c.baseConv().expandProj());
        assertEquals(3, c.baseConv().kernelSize());
        assertEquals(10000f, c.slidingWindow().rotaryBase());

        ModelConfig based = parse("tiny-based-a", root -> root.put("rotary_emb_base", 500000.0));
        assertEquals(500000f, based.slidingWindow().rotaryBase());
        assertFalse(based.isJrt());
        assertEquals(0, based.linearAttention().encLength());
    }

    @Test
    void layerInBothAltListsIsSlidingWindow() throws IOException {
        ModelConfig c = parse("tiny-a", root -> ((com.fasterxml.jackson.databind.node.ArrayNode)
                root.get("alt_mixer_layers")).add(2));
        assertEquals(MixerKind.SLIDING_WINDOW_ATTENTION, c.layers().get(2));
    }

    @Test
    void modelWithoutAttentionLayersHasNoAttentionConfig() throws IOException {
        ModelConfig c = parse("tiny-a", root -> {
            root.putArray("alt_mixer_layers");
            root.putArray("alt_mixer_2_layers");
        });
        assertEquals(List.of(MixerKind.BASE_CONV, MixerKind.BASE_CONV, MixerKind.BASE_CONV, MixerKind.BASE_CONV,
                MixerKind.BASE_CONV), c.layers());
        assertNull(c.linearAttention());
        assertNull(c.slidingWindow());
    }

    @Test
    void unknownMixerTargetsAreRejected() {
        assertRejected("tiny-a", c -> mixer(c, "mixer").put("_target_", "based.models.mixers.hyena.Hyena"),
                "mixer._target_", "based.models.mixers.hyena.Hyena");
        assertRejected("tiny-a", c -> mixer(c, "alt_mixer").put("_target_", "x.Mamba"),
                "alt_mixer._target_", "x.Mamba");
        assertRejected("tiny-based-a", c -> mixer(c, "alt_mixer_2").put("_target_", "x.MHA"),
                "alt_mixer_2._target_", "x.MHA");
        assertRejected("tiny-a", c -> mixer(c, "alt_mixer_2").remove("_target_"), "alt_mixer_2._target_");
    }

    @Test
    void basedDecayIsRejected() {
        assertRejected("tiny-based-a", c -> c.put("fixed_decay", true), "fixed_decay");
        assertRejected("tiny-based-a", c -> mixer(c, "alt_mixer").put("fixed_decay", true), "fixed_decay");
        assertRejected("tiny-based-a", c -> mixer(c, "alt_mixer").put("use_decay_proj", true),
                "alt_mixer.use_decay_proj");
    }

    @Test
    void unsupportedOptionsAreRejected() {
        assertRejected("tiny-a", c -> c.put("rotary_emb_fraction", 0.5), "rotary_emb_fraction", "0.5");
        assertRejected("tiny-a", c -> c.remove("rotary_emb_fraction"), "rotary_emb_fraction");
        assertRejected("tiny-a", c -> c.put("rms_norm", false), "rms_norm", "false");
        assertRejected("tiny-a", c -> c.put("activation_function", "gelu_new"), "activation_function", "gelu_new");
        assertRejected("tiny-a", c -> c.put("tie_word_embeddings", false), "tie_word_embeddings");
        assertRejected("tiny-a", c -> c.put("n_positions", 2048), "n_positions", "2048");
        assertRejected("tiny-a", c -> c.put("max_position_embeddings", 1024), "max_position_embeddings", "1024");
        assertRejected("tiny-a", c -> {
            c.remove("n_positions");
            c.remove("max_position_embeddings");
        }, "n_positions");
        assertRejected("tiny-a", c -> mixer(c, "alt_mixer").put("feature_name", "elu"), "alt_mixer.feature_name",
                "elu");
        assertRejected("tiny-based-a", c -> ((ObjectNode) mixer(c, "alt_mixer").get("feature_map"))
                        .put("_target_", "based.models.mixers.linear_attention.PosELU"),
                "alt_mixer.feature_map._target_", "PosELU");
        assertRejected("tiny-a", c -> mixer(c, "alt_mixer").put("implementation", "fla_chunk"),
                "alt_mixer.implementation", "fla_chunk");
        assertRejected("tiny-a", c -> mixer(c, "alt_mixer").put("num_heads", 5), "alt_mixer.num_heads", "96");
        assertRejected("tiny-a", c -> mixer(c, "alt_mixer_2").remove("window_size"), "alt_mixer_2.window_size");
        assertRejected("tiny-a", c -> c.putArray("alt_mixer_layers").add(7), "alt_mixer_layers", "7");
        assertRejected("tiny-a", c -> c.remove("n_embd"), "n_embd");
        assertRejected("tiny-a", c -> mixer(c, "mixer").put("use_bias", false), "mixer.use_bias");
    }

    @Test
    void conflictingEncLengthIsAWarningAndTheMixerWins() throws IOException {
        List<String> warnings = new ArrayList<>();
        JsonNode root = edited("tiny-a", c -> c.put("enc_length", 32));
        ModelConfig c = ModelConfigReader.parse(root, "config.json", warnings);
        assertEquals(16, c.linearAttention().encLength());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("enc_length"), warnings.get(0));
    }

    private static void assertRejected(String model, Consumer<ObjectNode> edit, String... mustMention) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> parse(model, edit));
        assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message lacks '" + s + "': " + e.getMessage());
        }
    }

    private static ModelConfig parse(String model, Consumer<ObjectNode> edit) throws IOException {
        return ModelConfigReader.parse(edited(model, edit), "config.json", new ArrayList<>());
    }

    private static ObjectNode edited(String model, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(GoldenData.model(model).resolve("config.json").toFile());
        edit.accept(root);
        return root;
    }

    private static ObjectNode mixer(ObjectNode root, String field) {
        return (ObjectNode) root.get(field);
    }
}
