package io.readtwice.kernels;

import io.readtwice.kernels.cpu.Bf16Matrix;
import io.readtwice.kernels.cpu.CpuMath;
import io.readtwice.kernels.cpu.F16Matrix;
import io.readtwice.kernels.cpu.F32Matrix;
import io.readtwice.kernels.cpu.Gemm;
import io.readtwice.kernels.cpu.HalfMatrix;
import io.readtwice.kernels.cpu.MixerKernels;
import io.readtwice.kernels.cpu.Parallel;
import io.readtwice.kernels.cpu.VectorOps;

/**
 * The Java backend: projections through BLAS ({@link Gemm}), mixers as plain loops with Vector API inner
 * products, parallel over (sequence, head) pairs or row blocks on a pool sized to the cores.
 */
public final class CpuBackend implements Backend {
    private static final int ROWS_PER_TASK = 16;
    private static final int MIN_COLUMNS_PER_TASK = 64;
    private static final long MIN_MULTIPLY_ADDS_TO_SPLIT = 1L << 18;

    private final Parallel parallel;
    private final MixerKernels mixers;

    /** A backend using every available core. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public CpuBackend(int threads) {
        this.parallel = new Parallel(threads);
        this.mixers = new MixerKernels(parallel);
    }

    @Override
    public String name() {
        return "cpu(" + parallel.threads() + " threads, " + Gemm.implementation() + ")";
    }

    @Override
    public Matrix matrix(float[] values, int rows, int cols, WeightPrecision precision) {
        return matrix(MatrixSource.of(values, rows, cols), precision);
    }

    /**
     * float32 keeps a caller's array as it is, or reads the source once into the one array it allocates; 16-bit
     * storage rounds the source a few rows at a time. Either way the weights exist once, in their storage.
     */
    @Override
    public Matrix matrix(MatrixSource source, WeightPrecision precision) {
        return switch (precision) {
            case FP32 -> new F32Matrix(source.toArray(), source.rows(), source.cols());
            case BF16 -> Bf16Matrix.of(source);
            case FP16 -> F16Matrix.of(source);
        };
    }

    /** Splits the output columns over the pool; each block is one single-threaded product on x laid out once. */
    @Override
    public void linear(float[] x, int xOffset, int rows, Matrix w, float[] bias, float[] y, int yOffset) {
        int out = w.rows();
        Gemm.Input input = Gemm.prepare(x, xOffset, rows, w);
        int blocks = Math.min(parallel.threads(), out / MIN_COLUMNS_PER_TASK);
        if (blocks <= 1 || (long) rows * w.cols() * out < MIN_MULTIPLY_ADDS_TO_SPLIT) {
            Gemm.linear(input, w, 0, out, bias, y, yOffset);
            return;
        }
        parallel.forEach(blocks, b -> {
            int from = columnBoundary(out, b, blocks);
            int to = columnBoundary(out, b + 1, blocks);
            Gemm.linear(input, w, from, to, bias, y, yOffset);
        });
    }

    /** Block edges rounded to 16 columns, so that blocks start on whole SIMD registers. */
    private static int columnBoundary(int out, int b, int blocks) {
        return b == blocks ? out : (int) ((long) out * b / blocks) & ~15;
    }

    @Override
    public void embed(Matrix table, int[] tokens, float[] out) {
        int d = table.cols();
        for (int t = 0; t < tokens.length; t++) {
            if (table instanceof F32Matrix f) {
                System.arraycopy(f.values(), tokens[t] * d, out, t * d, d);
            } else {
                ((HalfMatrix) table).widenRows(tokens[t], tokens[t] + 1, out, t * d);
            }
        }
    }

    @Override
    public void addInPlace(float[] residual, float[] h, int n) {
        for (int i = 0; i < n; i++) {
            residual[i] += h[i];
        }
    }

    @Override
    public void rmsNorm(float[] x, int rows, int d, float[] w, float eps, float[] y) {
        forRowBlocks(rows, r -> CpuMath.rmsNormRow(x, r * d, d, w, eps, y));
    }

    @Override
    public void swiGlu(float[] z, int rows, int hidden, float[] out) {
        forRowBlocks(rows, r -> VectorOps.siluGate(z, r * 2 * hidden + hidden, z, r * 2 * hidden, out, r * hidden,
                hidden));
    }

    @Override
    public void baseConvPrefill(float[] z, int[] seqStart, int channels, float[] conv, int kernel,
                                float[][] convState, float[] out) {
        mixers.baseConvPrefill(z, seqStart, channels, conv, kernel, convState, out);
    }

    @Override
    public void baseConvStep(float[] z, int batch, int channels, float[] conv, int kernel, float[][] convState,
                             float[] out) {
        mixers.baseConvStep(z, batch, channels, conv, kernel, convState, out);
    }

    @Override
    public void linearAttentionPrefill(LinearAttentionDims dims, float[] q, float[] k, float[] v, float[] kEnc,
                                       float[] vEnc, int[] seqStart, int[] encStart, int[] maskedKeys,
                                       float[][] state, float[] out) {
        mixers.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, seqStart, encStart, maskedKeys, state, out);
    }

    @Override
    public void linearAttentionStep(LinearAttentionDims dims, float[] q, float[] k, float[] v, int batch,
                                    float kvWeight, float[][] state, float[] out) {
        mixers.linearAttentionStep(dims, q, k, v, batch, kvWeight, state, out);
    }

    @Override
    public void slidingWindowPrefill(WindowDims dims, float[] qkv, int[] seqStart, float[][] keyCache,
                                     float[][] valueCache, float[] out) {
        mixers.slidingWindowPrefill(dims, qkv, seqStart, keyCache, valueCache, out);
    }

    @Override
    public void slidingWindowStep(WindowDims dims, float[] qkv, int[] positions, float[][] keyCache,
                                  float[][] valueCache, float[] out) {
        mixers.slidingWindowStep(dims, qkv, positions, keyCache, valueCache, out);
    }

    private void forRowBlocks(int rows, java.util.function.IntConsumer perRow) {
        int blocks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        parallel.forEach(blocks, b -> {
            int end = Math.min(rows, (b + 1) * ROWS_PER_TASK);
            for (int r = b * ROWS_PER_TASK; r < end; r++) {
                perRow.accept(r);
            }
        });
    }
}
