package io.readtwice.kernels.cpu;

import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;

/**
 * An IEEE binary16 matrix (1 sign, 5 exponent, 10 mantissa bits), rounded to nearest even; magnitudes from 65520
 * up become infinity. Java 17 has no {@code Float.floatToFloat16} (added in 20), so both directions are by hand.
 */
public final class F16Matrix extends HalfMatrix {
    /** 2^112: rebiases a binary16 exponent (bias 15) placed in float32's exponent field (bias 127). */
    static final float REBIAS = 0x1p112f;

    private F16Matrix(MatrixSource source) {
        super(source);
    }

    /** Reads and rounds {@code source} a few rows at a time: no float32 copy of the whole matrix. */
    public static F16Matrix of(MatrixSource source) {
        return new F16Matrix(source);
    }

    public static F16Matrix of(float[] values, int rows, int cols) {
        return new F16Matrix(MatrixSource.of(values, rows, cols));
    }

    static short toF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFFFFFF;
        if (abs > 0x7F800000) {
            return (short) (sign | 0x7E00 | ((abs >>> 13) & 0x3FF));  // NaN stays a quiet NaN
        }
        if (abs >= 0x477FF000) {
            return (short) (sign | 0x7C00);  // 65520 and up (infinity too) round to infinity
        }
        if (abs >= 0x38800000) {
            // normal: round the mantissa to 10 bits (a carry moves into the exponent), then rebias 127 -> 15
            int rounded = abs + 0xFFF + ((abs >>> 13) & 1);
            return (short) (sign | ((rounded - 0x38000000) >>> 13));
        }
        // subnormal or zero: a multiple of 2^-24; x·2^24 is exact and rint rounds to nearest even
        return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f));
    }

    static float toFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int magnitude = bits & 0x7FFF;
        if (magnitude >= 0x7C00) {
            return Float.intBitsToFloat(sign | 0x70000000 + (magnitude << 13));  // infinity or NaN
        }
        // exponent and mantissa moved into place, scaled by 2^112: exact for normals and subnormals alike
        return Float.intBitsToFloat(sign | Float.floatToRawIntBits(Float.intBitsToFloat(magnitude << 13) * REBIAS));
    }

    @Override
    short encode(float value) {
        return toF16(value);
    }

    @Override
    float decode(short half) {
        return toFloat(half);
    }

    @Override
    void widenPairsSimd(int off, float[] dst, int evenOff, int oddOff, int n) {
        SimdOps.widenF16Pairs(pairs, off, dst, evenOff, oddOff, n);
    }

    @Override
    public WeightPrecision precision() {
        return WeightPrecision.FP16;
    }
}
