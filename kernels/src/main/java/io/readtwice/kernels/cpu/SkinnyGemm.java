package io.readtwice.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x·wᵀ} for a few rows of x (decode steps: one row per sequence), streaming each weight row once while
 * it is multiplied with every row of x. Decode is bound by reading the weights, and BLAS packs (copies) w for
 * every call, which for a handful of rows costs more than the product. Vector API; loaded only when available.
 */
final class SkinnyGemm {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK_ROWS = 16;
    private static final int PAD = 16;

    private SkinnyGemm() {
    }

    /**
     * x rows are often a power of two floats apart, so their loads and the weight row's would all fall in the same
     * L1 sets; a copy with padded rows breaks that aliasing. Returns the copy, rows {@link #stride} apart.
     */
    static float[] pad(float[] x, int xOff, int rows, int in) {
        int stride = stride(in);
        float[] padded = new float[rows * stride];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * in, padded, r * stride, in);
        }
        return padded;
    }

    static int stride(int in) {
        return in + PAD;
    }

    /**
     * {@code y[r, column+j] (+)= x[r]·w[wRow+j]} for j < n; x rows are {@code xStride} apart, y rows {@code out};
     * keep adds to y (a preloaded bias).
     */
    static void multiply(float[] x, int xOff, int xStride, int rows, int in, float[] w, int wRow, int n, int column,
                         int out, boolean keep, float[] y, int yOff) {
        if (rows == 1) {
            oneRow(x, xOff, in, w, wRow, n, keep, y, yOff + column);
            return;
        }
        // Weight rows in blocks that stay in L2 while each group of four x rows passes over them.
        for (int block = 0; block < n; block += BLOCK_ROWS) {
            int blockEnd = Math.min(n, block + BLOCK_ROWS);
            for (int r0 = 0; r0 < rows; r0 += 4) {
                fourRows(x, xOff, xStride, rows, r0, in, w, wRow + block, blockEnd - block, out, keep, y,
                        yOff + column + block);
            }
        }
    }

    /** One x row against four weight rows at a time: x is loaded once per four dot products. */
    private static void oneRow(float[] x, int xOff, int in, float[] w, int wRow, int n, boolean keep, float[] y,
                               int yOff) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(in);
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            int w0 = (wRow + j) * in;
            int w1 = w0 + in;
            int w2 = w1 + in;
            int w3 = w2 + in;
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = FloatVector.zero(SPECIES);
            FloatVector a2 = FloatVector.zero(SPECIES);
            FloatVector a3 = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < bound; i += step) {
                FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + i);
                a0 = FloatVector.fromArray(SPECIES, w, w0 + i).fma(xv, a0);
                a1 = FloatVector.fromArray(SPECIES, w, w1 + i).fma(xv, a1);
                a2 = FloatVector.fromArray(SPECIES, w, w2 + i).fma(xv, a2);
                a3 = FloatVector.fromArray(SPECIES, w, w3 + i).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; i < in; i++) {
                float xi = x[xOff + i];
                s0 += w[w0 + i] * xi;
                s1 += w[w1 + i] * xi;
                s2 += w[w2 + i] * xi;
                s3 += w[w3 + i] * xi;
            }
            store(y, yOff + j, keep, s0);
            store(y, yOff + j + 1, keep, s1);
            store(y, yOff + j + 2, keep, s2);
            store(y, yOff + j + 3, keep, s3);
        }
        for (; j < n; j++) {
            store(y, yOff + j, keep, SimdOps.dot(w, (wRow + j) * in, x, xOff, in));
        }
    }

    /** Weight rows wRow..wRow+n-1 against x rows r0..r0+3 (rows past the end repeat the last one, not stored). */
    private static void fourRows(float[] x, int xOff, int xStride, int rows, int r0, int in, float[] w, int wRow,
                                 int n, int out, boolean keep, float[] y, int yOff) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(in);
        int last = rows - 1;
        int x0 = xOff + r0 * xStride;
        int x1 = xOff + Math.min(r0 + 1, last) * xStride;
        int x2 = xOff + Math.min(r0 + 2, last) * xStride;
        int x3 = xOff + Math.min(r0 + 3, last) * xStride;
        for (int j = 0; j < n; j++) {
            int wo = (wRow + j) * in;
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = FloatVector.zero(SPECIES);
            FloatVector a2 = FloatVector.zero(SPECIES);
            FloatVector a3 = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < bound; i += step) {
                FloatVector wv = FloatVector.fromArray(SPECIES, w, wo + i);
                a0 = FloatVector.fromArray(SPECIES, x, x0 + i).fma(wv, a0);
                a1 = FloatVector.fromArray(SPECIES, x, x1 + i).fma(wv, a1);
                a2 = FloatVector.fromArray(SPECIES, x, x2 + i).fma(wv, a2);
                a3 = FloatVector.fromArray(SPECIES, x, x3 + i).fma(wv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            float s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD);
            float s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; i < in; i++) {
                float wi = w[wo + i];
                s0 += x[x0 + i] * wi;
                s1 += x[x1 + i] * wi;
                s2 += x[x2 + i] * wi;
                s3 += x[x3 + i] * wi;
            }
            store(y, yOff + r0 * out + j, keep, s0);
            if (r0 + 1 < rows) {
                store(y, yOff + (r0 + 1) * out + j, keep, s1);
            }
            if (r0 + 2 < rows) {
                store(y, yOff + (r0 + 2) * out + j, keep, s2);
            }
            if (r0 + 3 < rows) {
                store(y, yOff + (r0 + 3) * out + j, keep, s3);
            }
        }
    }

    private static void store(float[] y, int at, boolean keep, float value) {
        y[at] = keep ? y[at] + value : value;
    }
}
