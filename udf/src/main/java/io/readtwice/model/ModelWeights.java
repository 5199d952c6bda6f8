package io.readtwice.model;

import io.readtwice.kernels.MatrixSource;

import java.util.List;

/**
 * All weights of a model, row-major like {@code nn.Linear}: a matrix {@code [out, in]} is {@code out} rows of
 * {@code in} values, so {@code y = x·Wᵀ + b}. Matrices are {@link MatrixSource}s, read when a backend stores them
 * (from a checkpoint file or a random generator), so that the model holds its weights once, in its storage
 * precision; norm weights, biases and convolution taps are small float32 vectors.
 *
 * @param embedding  word embeddings [Vp, d]; also the tied lm_head
 * @param lnF        final RMSNorm weight [d]
 * @param layers     one entry per layer, in order
 */
public record ModelWeights(MatrixSource embedding, float[] lnF, List<LayerWeights> layers) {

    /**
     * One prenorm block (spec §2).
     *
     * @param norm1 RMSNorm before the mixer [d]
     * @param norm2 RMSNorm before the MLP [d]
     * @param fc1   SwiGLU input [2·h_mlp, d], value half first
     * @param fc2   SwiGLU output [d, h_mlp]
     * @param mixer the layer's mixer weights
     */
    public record LayerWeights(float[] norm1, float[] norm2, MatrixSource fc1, MatrixSource fc2,
                               MixerWeights mixer) {
    }

    /** Weights of one sequence mixer; the record type says which mixer it is. */
    public sealed interface MixerWeights permits BaseConvWeights, PrefixLinearAttentionWeights,
            LinearAttentionWeights, SlidingWindowWeights {
    }

    /** BaseConv (spec §3): inProj [4d, d] + bias [4d], conv [2d, 1, 3] (no bias), outProj [d, 2d] + bias [d]. */
    public record BaseConvWeights(MatrixSource inProj, float[] inBias, float[] conv, MatrixSource outProj,
                                  float[] outBias) implements MixerWeights {
    }

    /**
     * Prefix linear attention (spec §4): projQ, projK, projKEnc [H·F, d]; projV, projVEnc [H·hd, d];
     * outProj [d, H·hd]. No biases.
     */
    public record PrefixLinearAttentionWeights(MatrixSource projQ, MatrixSource projK, MatrixSource projKEnc,
                                               MatrixSource projV, MatrixSource projVEnc, MatrixSource outProj)
            implements MixerWeights {
    }

    /** Based linear attention (spec §10.2): projQ, projK [H·F, d]; projV [H·hd, d]; outProj [d, H·hd]. */
    public record LinearAttentionWeights(MatrixSource projQ, MatrixSource projK, MatrixSource projV,
                                         MatrixSource outProj) implements MixerWeights {
    }

    /** Sliding-window attention (spec §5): wqkv [3d, d] (q rows, then k, then v), outProj [d, d]. */
    public record SlidingWindowWeights(MatrixSource wqkv, MatrixSource outProj) implements MixerWeights {
    }
}
