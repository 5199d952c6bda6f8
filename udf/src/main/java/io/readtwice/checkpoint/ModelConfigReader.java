package io.readtwice.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.readtwice.model.MixerKind;
import io.readtwice.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Derives {@link ModelConfig} from a checkpoint's {@code config.json} (the Hugging Face {@code GPT2Config} dict
 * that the reference {@code GPTLMHeadModel} is built from; model-spec §1.2, §1.3, §10). Defaults are the
 * reference's where a field is absent. Options the Java port does not implement (a Based decay, partial rotary,
 * LayerNorm, other activations, untied embeddings, learned positions, other feature maps) are rejected with the
 * field named, rather than silently computing a different model.
 */
final class ModelConfigReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Both the current class names and the old ones of the Based release, which the reference maps (§10). */
    static final Set<String> BASE_CONV_TARGETS = Set.of(
            "based.models.mixers.convolution.BaseConv",
            "src.models.mixers.base_conv.BaseConvWithSiLU4");
    static final String PLA_TARGET = "based.models.mixers.prefix_linear_attention.PrefixLinearAttention";
    static final Set<String> LINEAR_ATTENTION_TARGETS = Set.of(
            "based.models.mixers.linear_attention.LinearAttention",
            "src.models.mixers.linear_attention.LinearAttention");
    static final Set<String> TAYLOR_TARGETS = Set.of(
            "based.models.mixers.linear_attention.TaylorExp",
            "src.models.mixers.linear_attention.TaylorExp");
    static final Set<String> SLIDING_WINDOW_TARGETS = Set.of(
            "based.models.mixers.slide_attention.SlidingAttention",
            "src.models.mixers.slide_fa2.SlidingsMHA");

    /** Spec §4.1: the Taylor feature map works on 16-dim projections unless the config says otherwise. */
    static final int DEFAULT_FEATURE_DIM = 16;
    /** Spec §4.4, §10.3: the normaliser eps of both linear attentions. */
    static final float LINEAR_ATTENTION_EPS = 1e-12f;
    /** Spec §1.2: SwiGLU hidden size is n_inner rounded up to a multiple of 256. */
    static final int MLP_MULTIPLE = 256;
    static final int DEFAULT_EXPAND_PROJ = 4;
    static final int DEFAULT_KERNEL_SIZE = 3;
    static final double DEFAULT_ROTARY_BASE = 10000.0;
    /** GPT2Config's default. */
    static final double DEFAULT_NORM_EPS = 1e-5;
    /** A config.json is about 1.5 KB; a larger file than this is not one (and is not read into memory). */
    static final long MAX_CONFIG_BYTES = 1 << 20;
    /**
     * Bounds far above any model this engine can hold (the released ones have 24–36 layers and n_embd 1024–2048;
     * an embedding with n_embd above 40,000 would not fit a Java array), so that a forged config fails here
     * instead of allocating per-layer tables or overflowing a size.
     */
    static final int MAX_LAYERS = 4096;
    static final int MAX_EMBD = 1 << 16;

    private final String source;
    private final JsonNode root;
    private final List<String> warnings;

    private ModelConfigReader(String source, JsonNode root, List<String> warnings) {
        this.source = source;
        this.root = root;
        this.warnings = warnings;
    }

    /** Reads {@code file}; notes about the config (not errors) are appended to {@code warnings}. */
    static ModelConfig read(Path file, List<String> warnings) {
        JsonNode root;
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new CheckpointException(file + ": config file has " + size + " bytes, more than the "
                        + MAX_CONFIG_BYTES + " a config.json can have");
            }
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": config file not found", e);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read config: " + e.getMessage(), e);
        }
        return parse(root, file.toString(), warnings);
    }

    /** Derives the config from an already parsed {@code config.json}; {@code source} names it in errors. */
    static ModelConfig parse(JsonNode root, String source, List<String> warnings) {
        if (root == null || !root.isObject()) {
            throw new CheckpointException(source + ": config is not a JSON object");
        }
        return new ModelConfigReader(source, root, warnings).derive();
    }

    private ModelConfig derive() {
        int d = positiveInt("n_embd", root.get("n_embd"), null);
        if (d > MAX_EMBD) {
            throw fieldError("n_embd", root.get("n_embd"), "is larger than " + MAX_EMBD);
        }
        int nLayer = positiveInt("n_layer", root.get("n_layer"), null);
        if (nLayer > MAX_LAYERS) {
            throw fieldError("n_layer", root.get("n_layer"), "is larger than " + MAX_LAYERS);
        }
        int vocab = positiveInt("vocab_size", root.get("vocab_size"), null);
        int padMultiple = positiveInt("pad_vocab_size_multiple", root.get("pad_vocab_size_multiple"), 1);
        long padded = ceilDiv(vocab, padMultiple) * padMultiple;
        if (padded > Integer.MAX_VALUE) {
            throw fieldError("pad_vocab_size_multiple", root.get("pad_vocab_size_multiple"), "pads vocab_size "
                    + vocab + " beyond 2^31");
        }
        JsonNode nInnerNode = root.get("n_inner");
        int nInner = positiveInt("n_inner", nInnerNode, 4 * d); // null means 4·d in GPT2Config
        int mlpHidden = (int) (ceilDiv(nInner, MLP_MULTIPLE) * MLP_MULTIPLE);
        double eps = positiveDouble("layer_norm_epsilon", root.get("layer_norm_epsilon"), DEFAULT_NORM_EPS);

        checkSkeleton();
        List<MixerKind> layers = layerKinds(nLayer);

        ModelConfig.BaseConvConfig baseConv = layers.contains(MixerKind.BASE_CONV) ? baseConv(d) : null;
        ModelConfig.LinearAttentionConfig linear = null;
        if (layers.contains(MixerKind.PREFIX_LINEAR_ATTENTION) || layers.contains(MixerKind.LINEAR_ATTENTION)) {
            linear = linearAttention(d, layers.contains(MixerKind.PREFIX_LINEAR_ATTENTION));
        }
        ModelConfig.SlidingWindowConfig sliding =
                layers.contains(MixerKind.SLIDING_WINDOW_ATTENTION) ? slidingWindow(d) : null;
        return new ModelConfig(vocab, (int) padded, d, mlpHidden, (float) eps, List.copyOf(layers), baseConv,
                linear, sliding);
    }

    /** The parts of §2 every model shares; anything else would need a different forward pass. */
    private void checkSkeleton() {
        String activation = text("activation_function", root.get("activation_function"), "gelu_new");
        if (!activation.equals("swiglu")) {
            throw fieldError("activation_function", root.get("activation_function"),
                    "is not supported (only swiglu; GPT2Config's default is gelu_new)");
        }
        if (!bool("rms_norm", root.get("rms_norm"), false)) {
            throw fieldError("rms_norm", root.get("rms_norm"),
                    "is not supported: the models use RMSNorm (rms_norm: true), not LayerNorm");
        }
        if (!bool("tie_word_embeddings", root.get("tie_word_embeddings"), true)) {
            throw fieldError("tie_word_embeddings", root.get("tie_word_embeddings"),
                    "is not supported: lm_head must be tied to the word embeddings");
        }
        boolean positionsGiven = false;
        for (String field : List.of("n_positions", "max_position_embeddings")) {
            JsonNode v = root.get(field);
            if (v != null && !v.isNull()) {
                positionsGiven = true;
                if (!v.isIntegralNumber() || v.asLong() != 0) {
                    throw fieldError(field, v, "is not supported: the models have no position embeddings "
                            + "(expected 0)");
                }
            }
        }
        if (!positionsGiven) {
            throw new CheckpointException(source + ": field 'n_positions' is missing; GPT2Config would then add "
                    + "1024 learned position embeddings, which these models do not have (expected 0)");
        }
        List<String> decays = new ArrayList<>();
        findTrue(root, "fixed_decay", "", decays);
        JsonNode altMixer = root.get("alt_mixer");
        if (altMixer != null) {
            findTrue(altMixer, "use_decay_proj", "alt_mixer.", decays);
        }
        if (!decays.isEmpty()) {
            throw new CheckpointException(source + ": field '" + decays.get(0) + "' = true enables the Based "
                    + "decay (model-spec §10.1 caveat), which is not supported");
        }
    }

    private List<MixerKind> layerKinds(int nLayer) {
        Set<Integer> alt = layerIndexSet("alt_mixer_layers", nLayer);
        Set<Integer> alt2 = layerIndexSet("alt_mixer_2_layers", nLayer);
        MixerKind altKind = null;
        if (!alt.isEmpty() && !alt2.containsAll(alt)) {
            String target = target("alt_mixer");
            if (target.equals(PLA_TARGET)) {
                altKind = MixerKind.PREFIX_LINEAR_ATTENTION;
            } else if (LINEAR_ATTENTION_TARGETS.contains(target)) {
                altKind = MixerKind.LINEAR_ATTENTION;
            } else {
                throw unknownTarget("alt_mixer", target);
            }
        }
        List<MixerKind> kinds = new ArrayList<>(nLayer);
        for (int i = 0; i < nLayer; i++) {
            // §1.2: alt_mixer_2 wins over alt_mixer
            kinds.add(alt2.contains(i) ? MixerKind.SLIDING_WINDOW_ATTENTION
                    : alt.contains(i) ? altKind : MixerKind.BASE_CONV);
        }
        return kinds;
    }

    private ModelConfig.BaseConvConfig baseConv(int d) {
        String target = target("mixer");
        if (!BASE_CONV_TARGETS.contains(target)) {
            throw unknownTarget("mixer", target);
        }
        JsonNode mixer = root.get("mixer");
        int expand = positiveInt("mixer.expand_proj", mixer.get("expand_proj"), DEFAULT_EXPAND_PROJ);
        if (expand * d % 2 != 0) {
            throw fieldError("mixer.expand_proj", mixer.get("expand_proj"), "times n_embd " + d + " must be even");
        }
        // `kernel_sizes` (plural) is not a BaseConv argument and is ignored by the reference (§1.3)
        int kernel = positiveInt("mixer.kernel_size", mixer.get("kernel_size"), DEFAULT_KERNEL_SIZE);
        if (!bool("mixer.use_bias", mixer.get("use_bias"), true)) {
            throw fieldError("mixer.use_bias", mixer.get("use_bias"), "is not supported: BaseConv's in_proj and "
                    + "out_proj have biases in the released models");
        }
        return new ModelConfig.BaseConvConfig(expand, kernel);
    }

    private ModelConfig.LinearAttentionConfig linearAttention(int d, boolean prefix) {
        JsonNode mixer = root.get("alt_mixer");
        int heads = positiveInt("alt_mixer.num_heads", mixer.get("num_heads"), null);
        int headDim = headDim(d, heads, "alt_mixer.num_heads");
        JsonNode kvHeads = mixer.get("num_key_value_heads");
        if (kvHeads != null && !kvHeads.isNull() && kvHeads.asInt() != heads) {
            throw fieldError("alt_mixer.num_key_value_heads", kvHeads, "differs from alt_mixer.num_heads " + heads
                    + "; grouped heads are not supported");
        }
        JsonNode explicitHeadDim = mixer.get("head_dim");
        if (explicitHeadDim != null && !explicitHeadDim.isNull() && explicitHeadDim.asInt() != headDim) {
            throw fieldError("alt_mixer.head_dim", explicitHeadDim, "differs from n_embd / num_heads = " + headDim);
        }
        int featureDim = featureDim(mixer);
        if (!prefix) {
            // Based: causal, no encoder prefix and no pad mask (§10)
            return new ModelConfig.LinearAttentionConfig(heads, featureDim, headDim, 0, false, LINEAR_ATTENTION_EPS);
        }
        String implementation = text("alt_mixer.implementation", mixer.get("implementation"), "default");
        if (!implementation.equals("default") && !implementation.equals("fla_parallel")) {
            throw fieldError("alt_mixer.implementation", mixer.get("implementation"),
                    "is not supported (default or fla_parallel, which compute the same function; §4.6)");
        }
        int encLength;
        if (mixer.hasNonNull("enc_length")) {
            encLength = positiveInt("alt_mixer.enc_length", mixer.get("enc_length"), null);
            if (root.hasNonNull("enc_length") && root.get("enc_length").asInt() != encLength) {
                warnings.add(source + ": top-level enc_length " + root.get("enc_length") + " differs from "
                        + "alt_mixer.enc_length " + encLength + "; using alt_mixer's, as the reference does");
            }
        } else if (root.hasNonNull("enc_length")) {
            encLength = positiveInt("enc_length", root.get("enc_length"), null);
        } else {
            throw new CheckpointException(source + ": field 'alt_mixer.enc_length' is missing (the prefix length "
                    + "M of prefix linear attention)");
        }
        boolean useMask = bool("alt_mixer.use_mask", mixer.get("use_mask"), true);
        return new ModelConfig.LinearAttentionConfig(heads, featureDim, headDim, encLength, useMask,
                LINEAR_ATTENTION_EPS);
    }

    /** F, after checking that the feature map is the Taylor map (§4.1) under any of its spellings. */
    private int featureDim(JsonNode mixer) {
        JsonNode name = mixer.get("feature_name");
        if (name != null && !name.isNull() && !name.asText().equals("taylor_exp")) {
            throw fieldError("alt_mixer.feature_name", name, "is not supported (only taylor_exp)");
        }
        Integer mapInputDim = null;
        JsonNode map = mixer.get("feature_map");
        if (map != null && !map.isNull()) {
            if (map.isTextual()) {
                if (!map.asText().equals("taylor_exp")) {
                    throw fieldError("alt_mixer.feature_map", map, "is not supported (only taylor_exp)");
                }
            } else if (map.isObject()) {
                String target = text("alt_mixer.feature_map._target_", map.get("_target_"), "");
                if (!TAYLOR_TARGETS.contains(target)) {
                    throw fieldError("alt_mixer.feature_map._target_", map.get("_target_"),
                            "is not supported (only the Taylor map: " + TAYLOR_TARGETS + ")");
                }
                if (map.hasNonNull("input_dim")) {
                    mapInputDim = positiveInt("alt_mixer.feature_map.input_dim", map.get("input_dim"), null);
                }
            } else {
                throw fieldError("alt_mixer.feature_map", map, "must be an object or a name");
            }
        }
        int featureDim = positiveInt("alt_mixer.feature_dim", mixer.get("feature_dim"),
                mapInputDim != null ? mapInputDim : DEFAULT_FEATURE_DIM);
        if (mapInputDim != null && mapInputDim != featureDim) {
            throw fieldError("alt_mixer.feature_map.input_dim", map.get("input_dim"),
                    "differs from alt_mixer.feature_dim " + featureDim);
        }
        return featureDim;
    }

    private ModelConfig.SlidingWindowConfig slidingWindow(int d) {
        String target = target("alt_mixer_2");
        if (!SLIDING_WINDOW_TARGETS.contains(target)) {
            throw unknownTarget("alt_mixer_2", target);
        }
        JsonNode mixer = root.get("alt_mixer_2");
        // the mixer's own head count; the top-level n_head only when the mixer does not say
        String headsField = mixer.hasNonNull("num_heads") ? "alt_mixer_2.num_heads" : "n_head";
        int heads = positiveInt(headsField, mixer.hasNonNull("num_heads") ? mixer.get("num_heads") : root.get("n_head"),
                null);
        int headDim = headDim(d, heads, headsField);
        int windowSize = positiveInt("alt_mixer_2.window_size", mixer.get("window_size"), null);

        JsonNode fraction = root.get("rotary_emb_fraction");
        if (fraction == null || !fraction.isNumber() || fraction.asDouble() != 1.0) {
            throw fieldError("rotary_emb_fraction", fraction, "is not supported: sliding-window attention needs "
                    + "rotary embeddings on the full head dim (1; the reference's default is 0, no rotary)");
        }
        if (bool("rotary_emb_interleaved", root.get("rotary_emb_interleaved"), false)) {
            throw fieldError("rotary_emb_interleaved", root.get("rotary_emb_interleaved"),
                    "is not supported (the models use non-interleaved rotary)");
        }
        double base = positiveDouble("rotary_emb_base", root.get("rotary_emb_base"), DEFAULT_ROTARY_BASE);
        // flash-attn window (window_size // 2, 0): keys looked back, besides the query's own position
        return new ModelConfig.SlidingWindowConfig(heads, headDim, windowSize / 2, (float) base);
    }

    private int headDim(int d, int heads, String field) {
        if (d % heads != 0) {
            throw new CheckpointException(source + ": field '" + field + "' = " + heads + " does not divide n_embd "
                    + d);
        }
        return d / heads;
    }

    /** The {@code _target_} of a mixer dict, which must exist when a layer uses it. */
    private String target(String mixerField) {
        JsonNode mixer = root.get(mixerField);
        if (mixer == null || !mixer.isObject()) {
            throw new CheckpointException(source + ": field '" + mixerField + "' is missing or not an object, but "
                    + "a layer uses it");
        }
        JsonNode target = mixer.get("_target_");
        if (target == null || !target.isTextual()) {
            throw fieldError(mixerField + "._target_", target, "must name the mixer class");
        }
        return target.asText();
    }

    private CheckpointException unknownTarget(String mixerField, String target) {
        List<String> known = switch (mixerField) {
            case "mixer" -> List.copyOf(BASE_CONV_TARGETS);
            case "alt_mixer" -> {
                List<String> names = new ArrayList<>(LINEAR_ATTENTION_TARGETS);
                names.add(0, PLA_TARGET);
                yield names;
            }
            default -> List.copyOf(SLIDING_WINDOW_TARGETS);
        };
        return new CheckpointException(source + ": field '" + mixerField + "._target_' = '" + target
                + "' is not a supported mixer (expected one of " + known + ")");
    }

    private Set<Integer> layerIndexSet(String field, int nLayer) {
        JsonNode list = root.get(field);
        Set<Integer> indices = new HashSet<>();
        if (list == null || list.isNull()) {
            return indices;
        }
        if (!list.isArray()) {
            throw fieldError(field, list, "must be a list of layer indices");
        }
        for (JsonNode v : list) {
            if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() >= nLayer) {
                throw fieldError(field, list, "has " + v + ", expected layer indices in [0, " + nLayer + ")");
            }
            indices.add(v.asInt());
        }
        return indices;
    }

    /** Collects the paths of every field {@code name} that is true, at any depth. */
    private static void findTrue(JsonNode node, String name, String prefix, List<String> found) {
        if (!node.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (e.getKey().equals(name) && e.getValue().asBoolean(false)) {
                found.add(prefix + name);
            }
            findTrue(e.getValue(), name, prefix + e.getKey() + ".", found);
        }
    }

    private int positiveInt(String path, JsonNode v, Integer fallback) {
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new CheckpointException(source + ": field '" + path + "' is missing");
            }
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw fieldError(path, v, "must be a positive integer");
        }
        return v.asInt();
    }

    private double positiveDouble(String path, JsonNode v, double fallback) {
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || !(v.asDouble() > 0)) {
            throw fieldError(path, v, "must be a positive number");
        }
        return v.asDouble();
    }

    private boolean bool(String path, JsonNode v, boolean fallback) {
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw fieldError(path, v, "must be true or false");
        }
        return v.asBoolean();
    }

    private String text(String path, JsonNode v, String fallback) {
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw fieldError(path, v, "must be a string");
        }
        return v.asText();
    }

    private CheckpointException fieldError(String field, JsonNode value, String problem) {
        return new CheckpointException(source + ": field '" + field + "' = " + (value == null ? "(missing)" : value)
                + " " + problem);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
