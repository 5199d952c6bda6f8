package io.readtwice.kernels.gpu;

/**
 * The row order of fc1 that lets the GEMM apply SwiGLU in its epilogue. The checkpoint's fc1 {@code [2h, d]} has
 * the value half u (rows 0..h-1) before the gate half g (rows h..2h-1). The kernel's threads hold 8-column groups
 * of the output, so rows are interleaved in groups of {@value #GROUP}: u0..u7, g0..g7, u8..u15, g8..g15, ... and a
 * thread finds u and g of the same output side by side.
 */
public final class SwiGluLayout {
    /** Columns of one mma n-tile. */
    public static final int GROUP = 8;

    private SwiGluLayout() {
    }

    /**
     * fc1 {@code [2h, d]} (u half first) → the same rows interleaved in groups of 8; h must be a multiple of 8.
     * Works for a bias ({@code d = 1}) too.
     */
    public static float[] interleave(float[] fc1, int hidden, int d) {
        if (hidden % GROUP != 0) {
            throw new IllegalArgumentException("SwiGLU hidden size " + hidden + " is not a multiple of " + GROUP);
        }
        if (fc1.length != 2L * hidden * d) {
            throw new IllegalArgumentException("fc1 has " + fc1.length + " values, expected 2·" + hidden + "·" + d);
        }
        float[] out = new float[fc1.length];
        for (int j = 0; j < hidden; j++) {
            int group = j / GROUP;
            int lane = j % GROUP;
            int u = (2 * group * GROUP + lane) * d;
            int g = ((2 * group + 1) * GROUP + lane) * d;
            System.arraycopy(fc1, j * d, out, u, d);
            System.arraycopy(fc1, (hidden + j) * d, out, g, d);
        }
        return out;
    }
}
