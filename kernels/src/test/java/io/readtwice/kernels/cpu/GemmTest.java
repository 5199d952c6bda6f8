package io.readtwice.kernels.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    void bfloat16MatricesRoundToNearestEvenAndMultiplyLikeTheirWidenedValues() {
        assertEquals((short) 0x3F80, Bf16Matrix.toBf16(1.0f));
        assertEquals((short) 0x3F80, Bf16Matrix.toBf16(Float.intBitsToFloat(0x3F808000)), "tie to even (down)");
        assertEquals((short) 0x3F82, Bf16Matrix.toBf16(Float.intBitsToFloat(0x3F818000)), "tie to even (up)");
        assertEquals((short) 0x3F81, Bf16Matrix.toBf16(Float.intBitsToFloat(0x3F808001)), "above the tie");
        assertEquals(Float.NaN, Bf16Matrix.toFloat(Bf16Matrix.toBf16(Float.NaN)));
        assertEquals(2.5f, Bf16Matrix.of(new float[] {1f, 2.5f}, 1, 2).get(0, 1));

        int in = 70, out = 300;
        float[] w = randn(out * in);
        Bf16Matrix bf16 = Bf16Matrix.of(w, out, in);
        assertThrows(IllegalArgumentException.class, () -> Bf16Matrix.of(new float[3], 1, 3));
        float[] widened = new float[out * in];
        bf16.widenRows(0, out, widened, 0);
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], widened[i], Math.abs(w[i]) / 256, "bfloat16 keeps 8 significant bits");
        }
    }

    /**
     * 16-bit products (widened in registers for decode rows, block-widened for BLAS above) equal the float32
     * product of the widened weights: every row count, column blocks that are not multiples of the 4-row register
     * block, a bias, and 70 columns (35 pairs: the SIMD loops have tails).
     */
    @Test
    void halfPrecisionProductsEqualTheFloat32ProductOfTheirWidenedWeights() {
        int in = 70, out = 53;
        float[] w = randn(out * in);
        float[] bias = randn(out);
        for (HalfMatrix half : new HalfMatrix[] {Bf16Matrix.of(w, out, in), F16Matrix.of(w, out, in)}) {
            float[] widened = new float[out * in];
            half.widenRows(0, out, widened, 0);
            F32Matrix reference = new F32Matrix(widened, out, in);
            for (int rows : new int[] {1, 2, 3, 4, 5, 8, 9, 16, 17, 20}) {
                float[] x = randn(3 + rows * in);
                for (boolean withBias : new boolean[] {false, true}) {
                    float[] expected = new float[2 + rows * out];
                    float[] actual = new float[2 + rows * out];
                    for (int[] block : new int[][] {{0, 21}, {21, out}}) {
                        Gemm.linear(x, 3, rows, reference, block[0], block[1], withBias ? bias : null, expected, 2);
                        Gemm.linear(x, 3, rows, half, block[0], block[1], withBias ? bias : null, actual, 2);
                    }
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i], actual[i], 1e-4, half.precision() + " rows=" + rows + " element "
                                + i);
                    }
                }
            }
        }
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
                Gemm.linear(x, 3, rows, new F32Matrix(w, out, in), 0, 21, withBias ? bias : null, y, 2);
                Gemm.linear(x, 3, rows, new F32Matrix(w, out, in), 21, out, withBias ? bias : null, y, 2);
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
