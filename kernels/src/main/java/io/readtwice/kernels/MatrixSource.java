package io.readtwice.kernels;

/**
 * The values of a weight matrix {@code [rows, cols]} as float32, handed out a few rows at a time. A backend reads
 * a source straight into its own storage ({@link Backend#matrix(MatrixSource, WeightPrecision)}), so a model whose
 * weights come from a checkpoint file or a random generator exists once, in its storage precision, and never as a
 * float32 copy beside it.
 */
public interface MatrixSource {
    int rows();

    int cols();

    /** Writes rows {@code [from, to)} row-major into {@code dst[dstOffset ..)}; the same rows give the same values. */
    void read(int from, int to, float[] dst, int dstOffset);

    /** Values the caller already holds as one array, rows × cols, row-major; backends may keep the array itself. */
    static MatrixSource of(float[] values, int rows, int cols) {
        return new FloatArraySource(values, rows, cols);
    }

    /** Every value in one new array (tests, and backends that upload a whole matrix at once). */
    default float[] toArray() {
        if (this instanceof FloatArraySource a) {
            return a.values();
        }
        float[] values = new float[Math.multiplyExact(rows(), cols())];
        read(0, rows(), values, 0);
        return values;
    }
}
