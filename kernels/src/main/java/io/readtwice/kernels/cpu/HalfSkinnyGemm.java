package io.readtwice.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link SkinnyGemm} for 16-bit weights: {@code y = x·wᵀ} for a few rows of x (decode steps). x comes split like
 * the pairs (even columns, then odd: {@link HalfMatrix#split}).
 *
 * <p>One bfloat16 row (batch-1 decode, bound by reading the weights) widens each pair in registers right before
 * its FMAs: a shift and a mask per lane. Widening into a buffer first wrote and re-read twice the bytes that 16-bit
 * storage saves, which made bf16 decoding slower than float32. Everything else widens blocks of eight rows into an
 * L1-sized buffer and multiplies them as float32: binary16 widening is a dozen operations per lane, and with any
 * widening inside the 4×4 register block C2 stopped inlining and boxed the vectors (ten times slower, JDK 17). For
 * the same reason the widening is written out in the loop: behind small helper methods it was inlined in some JVMs
 * and not in others (8 against 112 ms for the same {@code DecodeLinearBench} case).
 */
final class HalfSkinnyGemm {
    private static final int WIDENED_BLOCK_ROWS = 8;

    private HalfSkinnyGemm() {
    }

    /**
     * {@code y[r, column+j] (+)= x[r]·w[wRow+j]} for j < n; x rows split and {@code xStride} apart, y rows
     * {@code out}; keep adds to y (a preloaded bias).
     */
    static void multiply(float[] x, int xStride, int rows, HalfMatrix w, int wRow, int n, int column, int out,
                         boolean keep, float[] y, int yOff) {
        if (rows == 1 && w instanceof Bf16Matrix) {
            for (int j = 0; j < n; j++) {
                bf16Row(x, w, wRow + j, keep, y, yOff + column + j);
            }
            return;
        }
        int in = w.cols();
        int block = Math.min(n, WIDENED_BLOCK_ROWS);
        float[] widened = Gemm.scratch(block * in);
        for (int j = 0; j < n; j += block) {
            int count = Math.min(block, n - j);
            w.widenRowsSplit(wRow + j, wRow + j + count, widened);
            SkinnyGemm.multiply(x, 0, xStride, rows, in, widened, 0, count, column + j, out, keep, y, yOff);
        }
    }

    /** {@code y[at] (+)= x·w[row]} for one split x row and a bfloat16 row; four accumulators. */
    private static void bf16Row(float[] x, HalfMatrix w, int row, boolean keep, float[] y, int at) {
        int[] pairs = w.pairs;
        int half = w.cols() / 2;
        int step = SimdOps.INTS.length();
        int bound = half - half % (2 * step);
        int po = row * half;
        FloatVector a0 = FloatVector.zero(SimdOps.SPECIES);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i < bound; i += 2 * step) {
            IntVector p = IntVector.fromArray(SimdOps.INTS, pairs, po + i);
            IntVector q = IntVector.fromArray(SimdOps.INTS, pairs, po + i + step);
            // Even columns are the low halves (shifted up), odd ones the high halves (masked).
            a0 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(SimdOps.SPECIES, x, i), a0);
            a1 = p.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(SimdOps.SPECIES, x, half + i), a1);
            a2 = q.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(SimdOps.SPECIES, x, i + step), a2);
            a3 = q.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats()
                    .fma(FloatVector.fromArray(SimdOps.SPECIES, x, half + i + step), a3);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < half; i++) {
            int pair = pairs[po + i];
            s += Float.intBitsToFloat(pair << 16) * x[i] + Float.intBitsToFloat(pair & 0xFFFF0000) * x[half + i];
        }
        SkinnyGemm.store(y, at, keep, s);
    }
}
