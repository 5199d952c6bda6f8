package io.readtwice.checkpoint;

/**
 * Exact widening of the two 16-bit float formats to float32. Java 17 has no {@code Float.float16ToFloat}
 * (added in 20), so binary16 is decoded here by hand.
 */
final class HalfPrecision {
    private HalfPrecision() {
    }

    /** IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits) to float32; every value is representable. */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            // inf, or NaN with its payload moved to the top of the float mantissa (quiet bit stays the quiet bit)
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent != 0) {
            // rebias 15 -> 127
            return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
        }
        // zero or subnormal: mantissa * 2^-24, exact in float32 (a normal float there)
        float magnitude = mantissa * 0x1p-24f;
        return sign != 0 ? -magnitude : magnitude;
    }

    /** bfloat16 is the upper half of a float32. */
    static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }
}
