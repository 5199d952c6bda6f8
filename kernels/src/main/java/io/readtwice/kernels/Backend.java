package io.readtwice.kernels;

/**
 * The seam between the model graph and the math: every operation the JRT-RNN and Based forward passes are made of.
 * The model code in {@code udf/} says what happens in which order; a backend says how. {@link CpuBackend} is the
 * Java implementation and the reference that a GPU backend is tested against; each method names its kernel and
 * keeps the argument order a CUDA twin will have.
 *
 * <p>Layouts. Activations are row-major float32 {@code [rows, cols]}. A prefill batch packs the tokens of several
 * sequences one after another (like flash-attention's cu_seqlens): sequence {@code s} owns rows
 * {@code seqStart[s] .. seqStart[s+1]-1}, so projections run as one GEMM over all sequences while the mixers keep
 * sequences apart. A decode step has one row per sequence. Recurrent state lives in per-sequence arrays, passed as
 * {@code float[sequence][]}, which the prefill kernels fill and the step kernels update in place.
 */
public interface Backend {

    String name();

    /**
     * Stores a weight matrix {@code [rows, cols]} (nn.Linear's {@code [out, in]}) for this backend, once per model.
     * The values may be referenced rather than copied: don't change them afterwards.
     */
    Matrix matrix(float[] values, int rows, int cols, WeightPrecision precision);

    /**
     * Stores a weight matrix read from {@code source}. A backend that keeps weights in host memory should read the
     * source in pieces straight into its storage (the CPU backend does), so that a 16-bit model never holds its
     * float32 values; this default reads the whole matrix once and hands it to
     * {@link #matrix(float[], int, int, WeightPrecision)}.
     */
    default Matrix matrix(MatrixSource source, WeightPrecision precision) {
        return matrix(source.toArray(), source.rows(), source.cols(), precision);
    }

    /** {@code y[rows, out] = x[rows, in] · wᵀ + bias}; w is {@code [out, in]}; bias may be null. */
    void linear(float[] x, int xOffset, int rows, Matrix w, float[] bias, float[] y, int yOffset);

    /** {@link #linear(float[], int, int, Matrix, float[], float[], int)} with float32 weights given as an array. */
    default void linear(float[] x, int xOffset, int rows, int in, float[] w, int out, float[] bias, float[] y,
                        int yOffset) {
        linear(x, xOffset, rows, matrix(w, out, in, WeightPrecision.FP32), bias, y, yOffset);
    }

    /**
     * The most rows one {@link #linear} from {@code in} to {@code out} columns can take with the memory this backend
     * has for activations. A device backend stages activations in device memory, so this is what sizes its
     * micro-batches; the host backend is bounded by the Java heap only.
     */
    default int maxLinearRows(int in, int out) {
        return Integer.MAX_VALUE;
    }

    /** {@code out[t] = table[tokens[t]]}; table is {@code [V, d]}. */
    void embed(Matrix table, int[] tokens, float[] out);

    /** {@code residual += h} over {@code n} floats (the fp32 residual stream, spec §2). */
    void addInPlace(float[] residual, float[] h, int n);

    /** RMSNorm per row: {@code y = x · w / sqrt(mean(x²) + eps)} (spec §2). */
    void rmsNorm(float[] x, int rows, int d, float[] w, float eps, float[] y);

    /** SwiGLU's element-wise part: z is {@code [rows, 2·hidden]}, value half first; {@code out = u ⊙ silu(g)}. */
    void swiGlu(float[] z, int rows, int hidden, float[] out);

    /**
     * BaseConv prefill (spec §3): z is the in_proj output {@code [rows, 2·channels]} = (u1, u2);
     * {@code out[t] = silu(causalConv(u1)[t]) ⊙ u2[t]}, {@code [rows, channels]}. conv is {@code [channels, kernel]}.
     * Leaves the last {@code kernel} u1 rows of each sequence, right-aligned with zeros in front, in
     * {@code convState[s]} ({@code [kernel, channels]}).
     */
    void baseConvPrefill(float[] z, int[] seqStart, int channels, float[] conv, int kernel, float[][] convState,
                         float[] out);

    /** BaseConv decode step: one row per sequence; shifts u1 into {@code convState[s]} and applies the conv. */
    void baseConvStep(float[] z, int batch, int channels, float[] conv, int kernel, float[][] convState, float[] out);

    /**
     * Taylor linear attention prefill, causal, optionally seeded by a non-causal encoder prefix (prefix linear
     * attention, spec §4.4; Based, spec §10.3). Per head and sequence, in linear time:
     * {@code S = Σ_enc φ(kEnc)vEncᵀ + Σ_{j≤t} φ(k_j)v_jᵀ}, {@code z} likewise, {@code y_t = φ(q_t)ᵀS / (φ(q_t)·z + eps)}.
     * The state per sequence is {@code [H, D, hd+1]}: S with z as its last column.
     *
     * @param q          {@code [rows, H·F]}
     * @param k          {@code [rows, H·F]}
     * @param v          {@code [rows, H·hd]}
     * @param kEnc       encoder keys {@code [encRows, H·F]}, or null without an encoder (Based)
     * @param vEnc       encoder values {@code [encRows, H·hd]}, or null
     * @param seqStart   row ranges of the sequences in q, k, v, out
     * @param encStart   row ranges of the sequences in kEnc, vEnc (null without an encoder)
     * @param maskedKeys per sequence, how many leading positions are masked keys (k and kEnc treated as 0 before the
     *                   feature map, the reference's pad mask, spec §4.3); null for none
     * @param state      per sequence {@code [H, D, hd+1]}, written with the final state
     * @param out        {@code [rows, H·hd]}
     */
    void linearAttentionPrefill(LinearAttentionDims dims, float[] q, float[] k, float[] v, float[] kEnc, float[] vEnc,
                                int[] seqStart, int[] encStart, int[] maskedKeys, float[][] state, float[] out);

    /**
     * Taylor linear attention decode step (spec §4.5, §10.4), one row per sequence:
     * {@code S += kvWeight·φ(k)vᵀ; z += φ(k); y = φ(q)ᵀS / (φ(q)·z + eps)}. kvWeight is 1, or 2 for the Based
     * reference harness's double update.
     */
    void linearAttentionStep(LinearAttentionDims dims, float[] q, float[] k, float[] v, int batch, float kvWeight,
                             float[][] state, float[] out);

    /**
     * Sliding-window attention prefill (spec §5): qkv is {@code [rows, 3·H·hd]} (q, k, v); rotary on q and k at
     * positions 0.. of each sequence; query i attends keys i−windowBack..i with softmax, scale 1/√hd.
     * Leaves each sequence's last {@code windowBack+1} rotated keys and values in its ring caches (slot = position
     * mod cacheLength). out is {@code [rows, H·hd]}.
     */
    void slidingWindowPrefill(WindowDims dims, float[] qkv, int[] seqStart, float[][] keyCache, float[][] valueCache,
                              float[] out);

    /**
     * Sliding-window attention decode step: one row per sequence at {@code positions[s]} (tokens already read);
     * appends the new rotated key and value to the ring caches and attends over the window.
     */
    void slidingWindowStep(WindowDims dims, float[] qkv, int[] positions, float[][] keyCache, float[][] valueCache,
                           float[] out);
}
