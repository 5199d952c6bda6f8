package io.readtwice.kernels.cpu;

import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;

/**
 * A bfloat16 matrix: the upper 16 bits of each float32, rounded to nearest even. Two neighbouring columns share
 * one int (column 2k in the low half, 2k+1 in the high half), so widening is a shift and a mask per lane rather
 * than a lane conversion, which the Vector API of JDK 17 does slowly. Widened rows come out "split": the even
 * columns, then the odd ones; products pair them with x split the same way ({@link #split}).
 */
public final class Bf16Matrix implements Matrix {
    private final int[] pairs;
    private final int rows;
    private final int cols;

    private Bf16Matrix(int[] pairs, int rows, int cols) {
        this.pairs = pairs;
        this.rows = rows;
        this.cols = cols;
    }

    /** Rounds float32 values [rows, cols] to bfloat16; cols must be even (every model dimension is). */
    public static Bf16Matrix of(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("a [" + rows + ", " + cols + "] matrix needs " + (long) rows * cols
                    + " values, got " + values.length);
        }
        if (cols % 2 != 0) {
            throw new IllegalArgumentException("bfloat16 storage needs an even number of columns, got " + cols);
        }
        int[] pairs = new int[values.length / 2];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = (toBf16(values[2 * i]) & 0xFFFF) | (toBf16(values[2 * i + 1]) << 16);
        }
        return new Bf16Matrix(pairs, rows, cols);
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

    /** Element (r, c) as float32. */
    public float get(int r, int c) {
        int pair = pairs[(r * cols + c) >> 1];
        return Float.intBitsToFloat((c & 1) == 0 ? pair << 16 : pair & 0xFFFF0000);
    }

    /** Widens rows [from, to) in natural column order into dst[dstOff ..). */
    public void widenRows(int from, int to, float[] dst, int dstOff) {
        for (int r = from; r < to; r++) {
            for (int c = 0; c < cols; c++) {
                dst[dstOff + (r - from) * cols + c] = get(r, c);
            }
        }
    }

    /** Widens rows [from, to) into dst[0 ..), each row split: even columns, then odd columns. */
    void widenRowsSplit(int from, int to, float[] dst) {
        int half = cols / 2;
        for (int r = from; r < to; r++) {
            int src = r * half;
            int even = (r - from) * cols;
            if (VectorOps.SIMD) {
                SimdOps.widenBf16Pairs(pairs, src, dst, even, even + half, half);
            } else {
                for (int k = 0; k < half; k++) {
                    int pair = pairs[src + k];
                    dst[even + k] = Float.intBitsToFloat(pair << 16);
                    dst[even + half + k] = Float.intBitsToFloat(pair & 0xFFFF0000);
                }
            }
        }
    }

    /** Copies rows of x [rows, cols] split like the widened weights, rows {@code stride} apart. */
    static float[] split(float[] x, int xOff, int rows, int cols, int stride) {
        float[] out = new float[rows * stride];
        int half = cols / 2;
        for (int r = 0; r < rows; r++) {
            int in = xOff + r * cols;
            int o = r * stride;
            for (int k = 0; k < half; k++) {
                out[o + k] = x[in + 2 * k];
                out[o + half + k] = x[in + 2 * k + 1];
            }
        }
        return out;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public WeightPrecision precision() {
        return WeightPrecision.BF16;
    }

    @Override
    public long bytes() {
        return 4L * pairs.length;
    }
}
