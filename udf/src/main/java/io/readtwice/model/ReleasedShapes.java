package io.readtwice.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The configurations of the four released checkpoints (model-spec §1.2, §10.1), for benchmarks with random weights
 * of the real sizes, no download needed.
 */
public enum ReleasedShapes {
    JRT_360M("jrt-360m", 1024, 26, Set.of(1, 6, 11, 16, 21), Set.of(2, 7, 12, 17, 22), true),
    JRT_1B("jrt-1b", 1792, 36, Set.of(1, 6, 11, 16, 21, 27, 33), Set.of(2, 7, 12, 17, 22, 28, 34), true),
    BASED_360M("based-360m", 1024, 27, Set.of(1, 6, 11, 16, 21), Set.of(2, 7, 12, 17, 22), false),
    BASED_1B("based-1b", 1792, 36, Set.of(1, 6, 11, 16, 21, 27, 33), Set.of(2, 7, 12, 17, 22, 28, 34), false);

    private static final int VOCAB = 50257;
    private static final int PADDED_VOCAB = 50264;
    private static final int HEADS = 16;
    private static final int FEATURE_DIM = 16;
    private static final int ENC_LENGTH = 1024;
    private static final int WINDOW_SIZE = 256;

    private final String label;
    private final int dModel;
    private final int layers;
    private final Set<Integer> linearAttentionLayers;
    private final Set<Integer> windowLayers;
    private final boolean jrt;

    ReleasedShapes(String label, int dModel, int layers, Set<Integer> linearAttentionLayers,
                   Set<Integer> windowLayers, boolean jrt) {
        this.label = label;
        this.dModel = dModel;
        this.layers = layers;
        this.linearAttentionLayers = linearAttentionLayers;
        this.windowLayers = windowLayers;
        this.jrt = jrt;
    }

    public String label() {
        return label;
    }

    /** Parses a label such as {@code jrt-360m}. */
    public static ReleasedShapes parse(String label) {
        for (ReleasedShapes shape : values()) {
            if (shape.label.equals(label.toLowerCase(Locale.ROOT))) {
                return shape;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + label + "': expected jrt-360m, jrt-1b, based-360m or "
                + "based-1b");
    }

    public ModelConfig config() {
        List<MixerKind> kinds = new ArrayList<>(layers);
        for (int i = 0; i < layers; i++) {
            if (windowLayers.contains(i)) {
                kinds.add(MixerKind.SLIDING_WINDOW_ATTENTION);
            } else if (linearAttentionLayers.contains(i)) {
                kinds.add(jrt ? MixerKind.PREFIX_LINEAR_ATTENTION : MixerKind.LINEAR_ATTENTION);
            } else {
                kinds.add(MixerKind.BASE_CONV);
            }
        }
        int headDim = dModel / HEADS;
        return new ModelConfig(VOCAB, PADDED_VOCAB, dModel, 2 * dModel, 1e-5f, List.copyOf(kinds),
                new ModelConfig.BaseConvConfig(4, 3),
                new ModelConfig.LinearAttentionConfig(HEADS, FEATURE_DIM, headDim, jrt ? ENC_LENGTH : 0, jrt, 1e-12f),
                new ModelConfig.SlidingWindowConfig(HEADS, headDim, WINDOW_SIZE / 2, 10000f));
    }
}
