package io.readtwice.kernels.cpu;

import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.MatrixSource;

/**
 * A matrix of 16-bit floats (bfloat16 or binary16; the subclass says which). Two neighbouring columns share one
 * int (column 2k in the low half, 2k+1 in the high half), so widening a pair is a shift and a mask per lane rather
 * than a lane conversion, which the Vector API of JDK 17 does slowly. Widened rows come out "split": the even
 * columns, then the odd ones; products pair them with x split the same way ({@link #split}).
 */
public abstract sealed class HalfMatrix implements Matrix permits Bf16Matrix, F16Matrix {
    /** Floats of the scratch buffer a source is read through: at most 256 KB and an eighth of the matrix. */
    private static final int READ_CHUNK_FLOATS = 1 << 16;
    private static final int READ_CHUNKS_AT_LEAST = 8;

    final int[] pairs;
    private final int rows;
    private final int cols;

    /** Reads {@code source} a few rows at a time and rounds each value; cols must be even (every model dim is). */
    HalfMatrix(MatrixSource source) {
        this.rows = source.rows();
        this.cols = source.cols();
        if (cols % 2 != 0) {
            throw new IllegalArgumentException("16-bit storage needs an even number of columns, got " + cols);
        }
        this.pairs = new int[Math.toIntExact((long) rows * cols / 2)];
        int chunkRows = Math.max(1, Math.min(rows / READ_CHUNKS_AT_LEAST, READ_CHUNK_FLOATS / Math.max(1, cols)));
        float[] chunk = new float[Math.min(rows, chunkRows) * cols];
        for (int from = 0; from < rows; from += chunkRows) {
            int to = Math.min(rows, from + chunkRows);
            source.read(from, to, chunk, 0);
            int base = from * cols / 2;
            int n = (to - from) * cols / 2;
            for (int i = 0; i < n; i++) {
                pairs[base + i] = (encode(chunk[2 * i]) & 0xFFFF) | (encode(chunk[2 * i + 1]) << 16);
            }
        }
    }

    /** The 16-bit pattern nearest to {@code value}. */
    abstract short encode(float value);

    /** The exact float32 value of a 16-bit pattern. */
    abstract float decode(short half);

    /** Widens {@code n} pairs from {@code pairs[off ..)}: even columns to dst[evenOff ..), odd to dst[oddOff ..). */
    final void widenPairs(int off, float[] dst, int evenOff, int oddOff, int n) {
        if (VectorOps.SIMD) {
            widenPairsSimd(off, dst, evenOff, oddOff, n);
            return;
        }
        for (int k = 0; k < n; k++) {
            int pair = pairs[off + k];
            dst[evenOff + k] = decode((short) pair);
            dst[oddOff + k] = decode((short) (pair >>> 16));
        }
    }

    /** {@link #widenPairs} with the Vector API (only called where it is present). */
    abstract void widenPairsSimd(int off, float[] dst, int evenOff, int oddOff, int n);

    /** Element (r, c) as float32. */
    public final float get(int r, int c) {
        int pair = pairs[(r * cols + c) >> 1];
        return decode((short) ((c & 1) == 0 ? pair : pair >>> 16));
    }

    /** Widens rows [from, to) in natural column order into dst[dstOff ..). */
    public final void widenRows(int from, int to, float[] dst, int dstOff) {
        for (int r = from; r < to; r++) {
            for (int c = 0; c < cols; c++) {
                dst[dstOff + (r - from) * cols + c] = get(r, c);
            }
        }
    }

    /** Widens rows [from, to) into dst[0 ..), each row split: even columns, then odd columns. */
    final void widenRowsSplit(int from, int to, float[] dst) {
        int half = cols / 2;
        for (int r = from; r < to; r++) {
            int even = (r - from) * cols;
            widenPairs(r * half, dst, even, even + half, half);
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
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    @Override
    public final long bytes() {
        return 4L * pairs.length;
    }
}
