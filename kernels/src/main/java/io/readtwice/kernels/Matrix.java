package io.readtwice.kernels;

/**
 * A weight matrix as a backend stores it, {@code [rows, cols]} row-major like nn.Linear's {@code [out, in]}. Made
 * once per model by {@link Backend#matrix}; the model graph holds these handles, never the storage.
 */
public interface Matrix {
    int rows();

    int cols();

    WeightPrecision precision();

    /** Bytes of storage, what one pass over the matrix reads. */
    long bytes();
}
