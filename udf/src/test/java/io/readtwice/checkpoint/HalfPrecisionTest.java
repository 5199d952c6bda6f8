package io.readtwice.checkpoint;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfPrecisionTest {

    /** Every one of the 65536 binary16 values against the textbook formula evaluated in double. */
    @Test
    void halfToFloatMatchesTheDefinitionForEveryBitPattern() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int sign = bits >>> 15;
            int exponent = (bits >>> 10) & 0x1f;
            int mantissa = bits & 0x3ff;
            float actual = HalfPrecision.halfToFloat((short) bits);
            if (exponent == 0x1f) {
                assertTrue(mantissa == 0 ? Float.isInfinite(actual) : Float.isNaN(actual), Integer.toHexString(bits));
                if (mantissa == 0) {
                    assertEquals(sign == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY, actual);
                }
                continue;
            }
            double magnitude = exponent == 0
                    ? mantissa * Math.pow(2, -24)
                    : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
            double expected = sign == 0 ? magnitude : -magnitude;
            assertEquals(Float.floatToRawIntBits((float) expected), Float.floatToRawIntBits(actual),
                    "half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void halfSpecialValues() {
        assertEquals(1.0f, HalfPrecision.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, HalfPrecision.halfToFloat((short) 0xc000));
        assertEquals(65504.0f, HalfPrecision.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfPrecision.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, HalfPrecision.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(Float.floatToRawIntBits(-0.0f),
                Float.floatToRawIntBits(HalfPrecision.halfToFloat((short) 0x8000)));
        assertTrue(Float.isNaN(HalfPrecision.halfToFloat((short) 0x7e00)));
        assertEquals(Float.NEGATIVE_INFINITY, HalfPrecision.halfToFloat((short) 0xfc00));
    }

    @Test
    void bf16IsTheUpperHalfOfAFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfPrecision.bf16ToFloat((short) bits);
            assertEquals(bits << 16, Float.floatToRawIntBits(f));
        }
        assertEquals(1.0f, HalfPrecision.bf16ToFloat((short) 0x3f80));
        assertEquals(-3.0f, HalfPrecision.bf16ToFloat((short) 0xc040));
    }
}
