package io.readtwice.model;

import io.readtwice.kernels.MatrixSource;
import io.readtwice.model.ModelWeights.BaseConvWeights;
import io.readtwice.model.ModelWeights.LayerWeights;
import io.readtwice.model.ModelWeights.LinearAttentionWeights;
import io.readtwice.model.ModelWeights.MixerWeights;
import io.readtwice.model.ModelWeights.PrefixLinearAttentionWeights;
import io.readtwice.model.ModelWeights.SlidingWindowWeights;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic random weights for a configuration: uniform with variance 1/fan-in, so activations keep their scale
 * through the layers. For benchmarks and demos; the model answers nonsense. Matrices are generated when a backend
 * reads them ({@link RandomMatrix}), so a 16-bit model never exists as float32.
 */
public final class RandomWeights {
    private final ModelConfig config;
    private final SplittableRandom random;

    private RandomWeights(ModelConfig config, long seed) {
        this.config = config;
        this.random = new SplittableRandom(seed);
    }

    public static ModelWeights create(ModelConfig config, long seed) {
        return new RandomWeights(config, seed).build();
    }

    private ModelWeights build() {
        int d = config.dModel();
        int hidden = config.mlpHidden();
        List<LayerWeights> layers = new ArrayList<>(config.nLayer());
        for (MixerKind kind : config.layers()) {
            layers.add(new LayerWeights(ones(d), ones(d), matrix(2 * hidden, d), matrix(d, hidden), mixer(kind)));
        }
        return new ModelWeights(matrix(config.paddedVocab(), d), ones(d), layers);
    }

    private MixerWeights mixer(MixerKind kind) {
        int d = config.dModel();
        switch (kind) {
            case BASE_CONV -> {
                int channels = config.baseConv().convChannels(d);
                int kernel = config.baseConv().kernelSize();
                return new BaseConvWeights(matrix(2 * channels, d), vector(2 * channels),
                        matrix(channels, kernel).toArray(), matrix(d, channels), vector(d));
            }
            case PREFIX_LINEAR_ATTENTION -> {
                int keys = keyWidth();
                int values = valueWidth();
                return new PrefixLinearAttentionWeights(matrix(keys, d), matrix(keys, d), matrix(keys, d),
                        matrix(values, d), matrix(values, d), matrix(d, values));
            }
            case LINEAR_ATTENTION -> {
                return new LinearAttentionWeights(matrix(keyWidth(), d), matrix(keyWidth(), d),
                        matrix(valueWidth(), d), matrix(d, valueWidth()));
            }
            default -> {
                return new SlidingWindowWeights(matrix(3 * d, d), matrix(d, d));
            }
        }
    }

    private int keyWidth() {
        return config.linearAttention().numHeads() * config.linearAttention().featureDim();
    }

    private int valueWidth() {
        return config.linearAttention().numHeads() * config.linearAttention().headDim();
    }

    /** [rows, cols], uniform in ±√(3/cols): variance 1/fan-in; each matrix draws its own seed in model order. */
    private MatrixSource matrix(int rows, int cols) {
        return new RandomMatrix(random.nextLong(), rows, cols);
    }

    /**
     * Element (r, c) is a hash of (seed, r·cols + c), so any rows can be read in any order, without allocating:
     * SplitMix64's finaliser over a Weyl sequence, the top 53 bits as a double in [0, 1).
     */
    private record RandomMatrix(long seed, int rows, int cols) implements MatrixSource {
        private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

        @Override
        public void read(int from, int to, float[] dst, int dstOffset) {
            double bound = Math.sqrt(3.0 / cols);
            for (int r = from; r < to; r++) {
                long index = (long) r * cols;
                int base = dstOffset + (r - from) * cols;
                for (int c = 0; c < cols; c++) {
                    double unit = (mix64(seed + (index + c) * GOLDEN_GAMMA) >>> 11) * 0x1.0p-53;
                    dst[base + c] = (float) ((2 * unit - 1) * bound);
                }
            }
        }

        private static long mix64(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    private float[] vector(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextDouble(-0.1, 0.1);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }
}
