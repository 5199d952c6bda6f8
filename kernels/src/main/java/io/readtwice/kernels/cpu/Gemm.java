package io.readtwice.kernels.cpu;

import dev.ludovic.netlib.blas.BLAS;

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

    private Gemm() {
    }

    /** Which BLAS implementation netlib selected (for logs and benchmarks). */
    public static String implementation() {
        return BLAS_INSTANCE.getClass().getSimpleName();
    }

    /** {@code y[rows, out] = x[rows, in] · wᵀ + bias}, w is {@code [out, in]} (nn.Linear); bias may be null. */
    public static void linear(float[] x, int xOffset, int rows, int in, float[] w, int out, float[] bias, float[] y,
                              int yOffset) {
        linearColumns(x, xOffset, rows, in, w, 0, out, out, bias, y, yOffset);
    }

    /**
     * Output columns {@code [from, to)} of {@link #linear}: rows {@code from..to-1} of w, written into y whose rows
     * are {@code out} wide. Column blocks are independent, which is how the backend splits a projection over cores.
     */
    public static void linearColumns(float[] x, int xOffset, int rows, int in, float[] w, int from, int to, int out,
                                     float[] bias, float[] y, int yOffset) {
        int n = to - from;
        if (rows == 0 || n == 0) {
            return;
        }
        float beta = 0f;
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(bias, from, y, yOffset + r * out + from, n);
            }
            beta = 1f;
        }
        if (rows <= SKINNY_ROWS && VectorOps.SIMD) {
            SkinnyGemm.multiply(x, xOffset, rows, in, w, from, to, out, bias != null, y, yOffset);
        } else if (rows == 1) {
            // A decode step of one sequence is a matrix-vector product: GEMV streams w once.
            BLAS_INSTANCE.sgemv("T", in, n, 1f, w, from * in, in, x, xOffset, 1, beta, y, yOffset + from, 1);
        } else {
            gemm(false, true, rows, n, in, 1f, x, xOffset, in, w, from * in, in, beta, y, yOffset + from, out);
        }
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
