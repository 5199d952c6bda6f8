package io.readtwice.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API bodies of {@link VectorOps}; loaded only when the incubator module is present. */
final class SimdOps {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** As many int lanes as float lanes, to widen bfloat16 pairs. */
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

    private SimdOps() {
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < bound; i += step) {
            acc = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /**
     * Widens n ints, each two bfloat16 values, into the low halves' floats at dst[evenOff..] and the high halves'
     * at dst[oddOff..]: a shift and a mask per lane.
     */
    static void widenBf16Pairs(int[] pairs, int off, float[] dst, int evenOff, int oddOff, int n) {
        int step = INTS.length();
        int bound = INTS.loopBound(n);
        int i = 0;
        for (; i < bound; i += step) {
            IntVector v = IntVector.fromArray(INTS, pairs, off + i);
            v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, evenOff + i);
            v.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().intoArray(dst, oddOff + i);
        }
        for (; i < n; i++) {
            int pair = pairs[off + i];
            dst[evenOff + i] = Float.intBitsToFloat(pair << 16);
            dst[oddOff + i] = Float.intBitsToFloat(pair & 0xFFFF0000);
        }
    }

    /**
     * Widens n ints, each two binary16 values (low half: even column), like {@link #widenBf16Pairs}: per lane, the
     * exponent and mantissa bits move into float32's places and a multiply by 2^112 rebiases the exponent (exact
     * for normals and subnormals); infinities and NaNs, whose exponent is all ones, are blended in apart.
     */
    static void widenF16Pairs(int[] pairs, int off, float[] dst, int evenOff, int oddOff, int n) {
        int step = INTS.length();
        int bound = INTS.loopBound(n);
        int i = 0;
        for (; i < bound; i += step) {
            IntVector v = IntVector.fromArray(INTS, pairs, off + i);
            widenF16(v.lanewise(VectorOperators.AND, 0xFFFF)).intoArray(dst, evenOff + i);
            widenF16(v.lanewise(VectorOperators.LSHR, 16)).intoArray(dst, oddOff + i);
        }
        for (; i < n; i++) {
            int pair = pairs[off + i];
            dst[evenOff + i] = F16Matrix.toFloat((short) pair);
            dst[oddOff + i] = F16Matrix.toFloat((short) (pair >>> 16));
        }
    }

    /** Lanes holding one binary16 pattern each (upper 16 bits zero) as float32. */
    private static FloatVector widenF16(IntVector half) {
        IntVector sign = half.lanewise(VectorOperators.AND, 0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector magnitude = half.lanewise(VectorOperators.AND, 0x7FFF);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        IntVector finite = shifted.reinterpretAsFloats().mul(F16Matrix.REBIAS).reinterpretAsInts();
        IntVector special = shifted.add(0x70000000);
        IntVector bits = finite.blend(special, magnitude.compare(VectorOperators.GE, 0x7C00));
        return bits.lanewise(VectorOperators.OR, sign).reinterpretAsFloats();
    }

    static float sum(float[] x, int off, int n) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i < bound; i += step) {
            acc = acc.add(FloatVector.fromArray(SPECIES, x, off + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    static int sumInts(int[] x, int off, int n) {
        int step = INTS.length();
        int bound = INTS.loopBound(n);
        IntVector acc = IntVector.zero(INTS);
        int i = 0;
        for (; i < bound; i += step) {
            acc = acc.add(IntVector.fromArray(INTS, x, off + i));
        }
        int s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    static void mulAdd(float[] a, int aOff, float[] b, int bOff, float[] acc, int accOff, int n) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += step) {
            FloatVector va = FloatVector.fromArray(SPECIES, a, aOff + i);
            FloatVector vacc = FloatVector.fromArray(SPECIES, acc, accOff + i);
            va.fma(FloatVector.fromArray(SPECIES, b, bOff + i), vacc).intoArray(acc, accOff + i);
        }
        for (; i < n; i++) {
            acc[accOff + i] += a[aOff + i] * b[bOff + i];
        }
    }

    static void siluGate(float[] gate, int gOff, float[] value, int vOff, float[] out, int oOff, int n) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += step) {
            FloatVector g = FloatVector.fromArray(SPECIES, gate, gOff + i);
            FloatVector sigmoidDenominator = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(sigmoidDenominator).mul(FloatVector.fromArray(SPECIES, value, vOff + i)).intoArray(out, oOff + i);
        }
        for (; i < n; i++) {
            out[oOff + i] = CpuMath.silu(gate[gOff + i]) * value[vOff + i];
        }
    }

    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int step = SPECIES.length();
        int bound = SPECIES.loopBound(n);
        FloatVector va = FloatVector.broadcast(SPECIES, alpha);
        int i = 0;
        for (; i < bound; i += step) {
            FloatVector vy = FloatVector.fromArray(SPECIES, y, yOff + i);
            FloatVector.fromArray(SPECIES, x, xOff + i).fma(va, vy).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
