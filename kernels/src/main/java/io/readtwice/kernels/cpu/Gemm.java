package io.readtwice.kernels.cpu;

import dev.ludovic.netlib.blas.BLAS;
import io.readtwice.kernels.Matrix;

/**
 * Matrix products through dev.ludovic.netlib, which picks native OpenBLAS when {@code libopenblas0-pthread} is
 * installed and a Java implementation otherwise. Our arrays are row-major and BLAS is column-major: a row-major
 * matrix is its own transpose seen column-major, so {@code C = A·B} is computed as {@code Cᵀ = Bᵀ·Aᵀ}.
 *
 * <p>Every call is meant to run on one thread (OPENBLAS_NUM_THREADS=1): the backend spreads work over its own pool,
 * and OpenBLAS threads on top of that oversubscribe the cores (small products became ten times slower).
 */
public final class Gemm {
    private static final BLAS BLAS_INSTANCE = BLAS.getInstance();
    /** Up to this many rows (a decode batch), products stream w once instead of going to BLAS. */
    static final int SKINNY_ROWS = 16;
    /** 16-bit weight rows widened at a time for a BLAS call. */
    private static final int HALF_BLOCK_GEMM = 512;
    private static final ThreadLocal<float[]> WIDENED = ThreadLocal.withInitial(() -> new float[0]);

    private Gemm() {
    }

    /** Which BLAS implementation netlib selected (for logs and benchmarks). */
    public static String implementation() {
        return BLAS_INSTANCE.getClass().getSimpleName();
    }

    /**
     * x laid out for products with one matrix: rows {@code stride} apart from {@code offset}, padded for skinny
     * products and split (even columns, then odd) for 16-bit weights. Prepared once per projection and shared by
     * the threads that compute its column blocks.
     */
    public record Input(float[] values, int offset, int stride, int rows) {
    }

    /** Lays out {@code x[rows, w.cols()]} from {@code xOffset} for products with w (see {@link Input}). */
    public static Input prepare(float[] x, int xOffset, int rows, Matrix w) {
        int in = w.cols();
        int stride = skinny(rows) && rows > 1 ? SkinnyGemm.stride(in) : in;
        if (w instanceof HalfMatrix) {
            return new Input(HalfMatrix.split(x, xOffset, rows, in, stride), 0, stride, rows);
        }
        if (stride != in) {
            return new Input(SkinnyGemm.pad(x, xOffset, rows, in), 0, stride, rows);
        }
        return new Input(x, xOffset, in, rows);
    }

    /**
     * Output columns {@code [from, to)} of {@code y[rows, out] = x[rows, in] · wᵀ + bias}: rows {@code from..to-1}
     * of w. Column blocks are independent, which is how the backend splits a projection over cores.
     */
    public static void linear(float[] x, int xOffset, int rows, Matrix w, int from, int to, float[] bias, float[] y,
                              int yOffset) {
        linear(prepare(x, xOffset, rows, w), w, from, to, bias, y, yOffset);
    }

    /** {@link #linear(float[], int, int, Matrix, int, int, float[], float[], int)} from a prepared x. */
    public static void linear(Input x, Matrix w, int from, int to, float[] bias, float[] y, int yOffset) {
        int in = w.cols();
        int out = w.rows();
        int rows = x.rows();
        if (rows == 0 || to == from) {
            return;
        }
        if (w instanceof F32Matrix f) {
            product(x.values(), x.offset(), x.stride(), rows, in, f.values(), from, from, to - from, out, bias, y,
                    yOffset);
        } else if (w instanceof HalfMatrix b) {
            if (skinny(rows)) {
                boolean keep = preloadBias(bias, rows, from, to - from, out, y, yOffset);
                HalfSkinnyGemm.multiply(x.values(), x.stride(), rows, b, from, to - from, from, out, keep, y,
                        yOffset);
                return;
            }
            // Larger products widen weight blocks with their columns split and hand them to BLAS.
            int block = Math.min(to - from, HALF_BLOCK_GEMM);
            float[] widened = scratch(block * in);
            for (int o = from; o < to; o += block) {
                int n = Math.min(block, to - o);
                b.widenRowsSplit(o, o + n, widened);
                product(x.values(), 0, x.stride(), rows, in, widened, 0, o, n, out, bias, y, yOffset);
            }
        } else {
            throw new IllegalArgumentException("the CPU backend cannot multiply a " + w.getClass().getSimpleName());
        }
    }

    /**
     * This thread's buffer for widened 16-bit weights, at least {@code floats} long: reused by every product on the
     * thread, so that 16-bit weights cost no garbage per call (megabytes per prefill projection, which a heap sized
     * close to the weights could not absorb).
     */
    static float[] scratch(int floats) {
        float[] buffer = WIDENED.get();
        if (buffer.length < floats) {
            buffer = new float[floats];
            WIDENED.set(buffer);
        }
        return buffer;
    }

    private static boolean skinny(int rows) {
        return rows <= SKINNY_ROWS && VectorOps.SIMD;
    }

    /** {@code y[:, column .. column+n) = x · w[wRow .. wRow+n)ᵀ + bias[column ..]}; x rows xStride apart. */
    private static void product(float[] x, int xOff, int xStride, int rows, int in, float[] w, int wRow, int column,
                                int n, int out, float[] bias, float[] y, int yOffset) {
        boolean keep = preloadBias(bias, rows, column, n, out, y, yOffset);
        float beta = keep ? 1f : 0f;
        if (skinny(rows)) {
            SkinnyGemm.multiply(x, xOff, xStride, rows, in, w, wRow, n, column, out, keep, y, yOffset);
        } else if (rows == 1) {
            // A decode step of one sequence is a matrix-vector product: GEMV streams w once.
            BLAS_INSTANCE.sgemv("T", in, n, 1f, w, wRow * in, in, x, xOff, 1, beta, y, yOffset + column, 1);
        } else {
            gemm(false, true, rows, n, in, 1f, x, xOff, xStride, w, wRow * in, in, beta, y, yOffset + column, out);
        }
    }

    /** Copies bias[column .. column+n) into each row of y; true when there was a bias (products then add to y). */
    private static boolean preloadBias(float[] bias, int rows, int column, int n, int out, float[] y, int yOffset) {
        if (bias == null) {
            return false;
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(bias, column, y, yOffset + r * out + column, n);
        }
        return true;
    }

    /**
     * Row-major {@code C[m, n] = alpha·op(A)·op(B) + beta·C}, op(A) is m×k and op(B) is k×n; transA / transB say
     * that A is stored k×m / B is stored n×k. lda, ldb, ldc are row strides.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                            int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        BLAS_INSTANCE.sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta,
                c, cOff, ldc);
    }
}
