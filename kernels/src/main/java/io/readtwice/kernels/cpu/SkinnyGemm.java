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
        // Four weight rows (16 KB at d=1024) stay in L1 while each group of four x rows passes over them.
        float[] sums = new float[16];
        int whole = n - n % 4;
        for (int j = 0; j < whole; j += 4) {
            for (int r0 = 0; r0 < rows; r0 += 4) {
                fourByFour(x, xOff, xStride, rows, r0, in, w, wRow + j, out, keep, y, yOff + column + j, sums);
            }
        }
        for (int r0 = 0; r0 < rows && whole < n; r0 += 4) {
            fourRows(x, xOff, xStride, rows, r0, in, w, wRow + whole, n - whole, out, keep, y,
                    yOff + column + whole);
        }
    }

    /**
     * Weight rows wRow..wRow+3 against x rows r0..r0+3 (rows past the end repeat the last one, not stored): 16
     * accumulators, so each loaded vector feeds four FMAs. One weight row against four x rows (five loads per four
     * FMAs) reached a third of the FMA rate; this register block reaches about three quarters from cache.
     */
    private static void fourByFour(float[] x, int xOff, int xStride, int rows, int r0, int in, float[] w, int wRow,
                                   int out, boolean keep, float[] y, int yOff, float[] s) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(in);
        int last = rows - 1;
        int x0 = xOff + r0 * xStride;
        int x1 = xOff + Math.min(r0 + 1, last) * xStride;
        int x2 = xOff + Math.min(r0 + 2, last) * xStride;
        int x3 = xOff + Math.min(r0 + 3, last) * xStride;
        int wa = wRow * in;
        int wb = wa + in;
        int wc = wb + in;
        int wd = wc + in;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        FloatVector d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        int i = 0;
        for (; i < bound; i += step) {
            FloatVector wA = FloatVector.fromArray(SPECIES, w, wa + i);
            FloatVector wB = FloatVector.fromArray(SPECIES, w, wb + i);
            FloatVector wC = FloatVector.fromArray(SPECIES, w, wc + i);
            FloatVector wD = FloatVector.fromArray(SPECIES, w, wd + i);
            FloatVector v = FloatVector.fromArray(SPECIES, x, x0 + i);
            a0 = v.fma(wA, a0);
            b0 = v.fma(wB, b0);
            c0 = v.fma(wC, c0);
            d0 = v.fma(wD, d0);
            v = FloatVector.fromArray(SPECIES, x, x1 + i);
            a1 = v.fma(wA, a1);
            b1 = v.fma(wB, b1);
            c1 = v.fma(wC, c1);
            d1 = v.fma(wD, d1);
            v = FloatVector.fromArray(SPECIES, x, x2 + i);
            a2 = v.fma(wA, a2);
            b2 = v.fma(wB, b2);
            c2 = v.fma(wC, c2);
            d2 = v.fma(wD, d2);
            v = FloatVector.fromArray(SPECIES, x, x3 + i);
            a3 = v.fma(wA, a3);
            b3 = v.fma(wB, b3);
            c3 = v.fma(wC, c3);
            d3 = v.fma(wD, d3);
        }
        reduce(s, 0, a0, a1, a2, a3);
        reduce(s, 4, b0, b1, b2, b3);
        reduce(s, 8, c0, c1, c2, c3);
        reduce(s, 12, d0, d1, d2, d3);
        for (; i < in; i++) {
            for (int k = 0; k < 4; k++) {
                float wk = w[wa + k * in + i];
                s[4 * k] += x[x0 + i] * wk;
                s[4 * k + 1] += x[x1 + i] * wk;
                s[4 * k + 2] += x[x2 + i] * wk;
                s[4 * k + 3] += x[x3 + i] * wk;
            }
        }
        storeBlock(s, rows, r0, out, keep, y, yOff);
    }

    /** Horizontal sums of four accumulators into s[at .. at+3]. */
    static void reduce(float[] s, int at, FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3) {
        s[at] = v0.reduceLanes(VectorOperators.ADD);
        s[at + 1] = v1.reduceLanes(VectorOperators.ADD);
        s[at + 2] = v2.reduceLanes(VectorOperators.ADD);
        s[at + 3] = v3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Stores a 4×4 block: {@code s[4k + r]} is weight row k against x row r0+r, written to
     * {@code y[(r0+r)·out + k]}; rows past the end are dropped.
     */
    static void storeBlock(float[] s, int rows, int r0, int out, boolean keep, float[] y, int yOff) {
        for (int r = 0; r < 4 && r0 + r < rows; r++) {
            for (int k = 0; k < 4; k++) {
                store(y, yOff + (r0 + r) * out + k, keep, s[4 * k + r]);
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

    static void store(float[] y, int at, boolean keep, float value) {
        y[at] = keep ? y[at] + value : value;
    }
}
