package io.readtwice.kernels;

/** A {@link MatrixSource} over an array the caller holds: float32 storage may use the array without copying. */
public record FloatArraySource(float[] values, int rows, int cols) implements MatrixSource {
    public FloatArraySource {
        requireShape(values, rows, cols);
    }

    /** Throws unless {@code values} holds exactly a [rows, cols] matrix (shared with the float32 matrices). */
    public static void requireShape(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("a [" + rows + ", " + cols + "] matrix needs " + (long) rows * cols
                    + " values, got " + values.length);
        }
    }

    @Override
    public void read(int from, int to, float[] dst, int dstOffset) {
        System.arraycopy(values, from * cols, dst, dstOffset, (to - from) * cols);
    }
}
