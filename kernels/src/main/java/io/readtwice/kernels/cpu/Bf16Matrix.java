package io.readtwice.kernels.cpu;

import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;

/** A bfloat16 matrix: the upper 16 bits of each float32, rounded to nearest even. */
public final class Bf16Matrix extends HalfMatrix {

    private Bf16Matrix(MatrixSource source) {
        super(source);
    }

    /** Reads and rounds {@code source} a few rows at a time: no float32 copy of the whole matrix. */
    public static Bf16Matrix of(MatrixSource source) {
        return new Bf16Matrix(source);
    }

    /** Rounds float32 values [rows, cols] to bfloat16. */
    public static Bf16Matrix of(float[] values, int rows, int cols) {
        return new Bf16Matrix(MatrixSource.of(values, rows, cols));
    }

    /** float32 → bfloat16 bits, round to nearest even (also what the GPU kernels and uploads use). */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);  // stay a (quiet) NaN
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** bfloat16 bits → float32 (exact). */
    public static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    @Override
    short encode(float value) {
        return toBf16(value);
    }

    @Override
    float decode(short half) {
        return toFloat(half);
    }

    @Override
    void widenPairsSimd(int off, float[] dst, int evenOff, int oddOff, int n) {
        SimdOps.widenBf16Pairs(pairs, off, dst, evenOff, oddOff, n);
    }

    @Override
    public WeightPrecision precision() {
        return WeightPrecision.BF16;
    }
}
