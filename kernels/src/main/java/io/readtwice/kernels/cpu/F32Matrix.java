package io.readtwice.kernels.cpu;

import io.readtwice.kernels.FloatArraySource;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;

/** A float32 matrix: the values as given, not copied. */
public record F32Matrix(float[] values, int rows, int cols) implements Matrix {
    public F32Matrix {
        FloatArraySource.requireShape(values, rows, cols);
    }

    @Override
    public WeightPrecision precision() {
        return WeightPrecision.FP32;
    }

    @Override
    public long bytes() {
        return 4L * values.length;
    }
}
