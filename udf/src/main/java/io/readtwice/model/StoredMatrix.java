package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;

/** Stores a weight matrix on the backend after checking its shape against the one the model expects. */
final class StoredMatrix {
    private StoredMatrix() {
    }

    static Matrix of(Backend backend, MatrixSource source, int rows, int cols, WeightPrecision precision) {
        if (source.rows() != rows || source.cols() != cols) {
            throw new IllegalArgumentException("weight matrix [" + source.rows() + ", " + source.cols()
                    + "] where the model needs [" + rows + ", " + cols + "]");
        }
        return backend.matrix(source, precision);
    }
}
