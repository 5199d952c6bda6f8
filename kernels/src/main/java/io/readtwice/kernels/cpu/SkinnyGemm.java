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

    /**
     * One x row against the weight rows one after another: a single sequential stream through w, which the
     * hardware prefetcher follows across pages. (Four rows read side by side are four streams, each ending at a page
     * boundary: 19 against 28 GB/s on one Zen 4 core.) Four accumulators keep the FMA units busy.
     */
    private static void oneRow(float[] x, int xOff, int in, float[] w, int wRow, int n, boolean keep, float[] y,
                               int yOff) {
        int step = SPECIES.length();
        int bound = in - in % (4 * step);
        for (int j = 0; j < n; j++) {
            int wo = (wRow + j) * in;
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector a1 = FloatVector.zero(SPECIES);
            FloatVector a2 = FloatVector.zero(SPECIES);
            FloatVector a3 = FloatVector.zero(SPECIES);
            int i = 0;
            for (; i < bound; i += 4 * step) {
                a0 = FloatVector.fromArray(SPECIES, w, wo + i).fma(FloatVector.fromArray(SPECIES, x, xOff + i), a0);
                a1 = FloatVector.fromArray(SPECIES, w, wo + i + step)
                        .fma(FloatVector.fromArray(SPECIES, x, xOff + i + step), a1);
                a2 = FloatVector.fromArray(SPECIES, w, wo + i + 2 * step)
                        .fma(FloatVector.fromArray(SPECIES, x, xOff + i + 2 * step), a2);
                a3 = FloatVector.fromArray(SPECIES, w, wo + i + 3 * step)
                        .fma(FloatVector.fromArray(SPECIES, x, xOff + i + 3 * step), a3);
            }
            float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            for (; i < in; i++) {
                s += w[wo + i] * x[xOff + i];
            }
            store(y, yOff + j, keep, s);
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
