package io.readtwice.kernels.gpu;

import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;

/**
 * A weight matrix resident on the device as bfloat16, {@code [rows, cols]} row-major: uploaded once when the model
 * is built and read by every GEMM after that. The host keeps only this handle.
 *
 * @param address arena address of the first element
 */
record DeviceMatrix(int rows, int cols, long address) implements Matrix {
    @Override
    public WeightPrecision precision() {
        return WeightPrecision.BF16;
    }

    @Override
    public long bytes() {
        return 2L * rows * cols;
    }
}
