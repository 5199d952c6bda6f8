package io.readtwice.kernels.cpu;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The projections: {@code y = x·wᵀ + b} through dev.ludovic.netlib, which picks native OpenBLAS when
 * {@code libopenblas0-pthread} is installed and a Java implementation otherwise. BLAS is column-major, so the
 * row-major product is computed as {@code yᵀ = w·xᵀ}: w [out, in] row-major is wᵀ column-major (hence "T"),
 * x [rows, in] row-major is xᵀ column-major.
 */
public final class Gemm {
    private static final BLAS BLAS_INSTANCE = BLAS.getInstance();

    private Gemm() {
    }

    /** Which BLAS implementation netlib selected (for logs and benchmarks). */
    public static String implementation() {
        return BLAS_INSTANCE.getClass().getSimpleName();
    }

    public static void linear(float[] x, int xOffset, int rows, int in, float[] w, int out, float[] bias, float[] y,
                              int yOffset) {
        if (rows == 0) {
            return;
        }
        float beta = 0f;
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(bias, 0, y, yOffset + r * out, out);
            }
            beta = 1f;
        }
        BLAS_INSTANCE.sgemm("T", "N", out, rows, in, 1f, w, 0, in, x, xOffset, in, beta, y, yOffset, out);
    }
}
