package io.readtwice.kernels.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every product path (skinny decode rows, GEMV, BLAS GEMM; column blocks; bias) against the definition. */
class GemmTest {
    private final Random random = new Random(11);

    private float[] randn(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void linearMatchesTheDefinitionForEveryRowCount() {
        int in = 37, out = 53;
        float[] w = randn(out * in);
        float[] bias = randn(out);
        for (int rows : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 40}) {
            float[] x = randn(3 + rows * in);
            for (boolean withBias : new boolean[] {false, true}) {
                float[] y = randn(2 + rows * out);
                Gemm.linearColumns(x, 3, rows, in, w, 0, 21, out, withBias ? bias : null, y, 2);
                Gemm.linearColumns(x, 3, rows, in, w, 21, out, out, withBias ? bias : null, y, 2);
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        double s = withBias ? bias[o] : 0;
                        for (int i = 0; i < in; i++) {
                            s += (double) x[3 + r * in + i] * w[o * in + i];
                        }
                        assertEquals(s, y[2 + r * out + o], 1e-4, "rows=" + rows + " r=" + r + " o=" + o);
                    }
                }
            }
        }
    }
}
