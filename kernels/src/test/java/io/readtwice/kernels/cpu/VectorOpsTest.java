package io.readtwice.kernels.cpu;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SIMD inner loops against their definitions, at lengths with and without a scalar tail and at offsets. */
class VectorOpsTest {
    private final Random random = new Random(3);

    private float[] randn(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * 4);
        }
        return x;
    }

    @Test
    void theVectorApiIsUsedUnderTheTestJvmFlags() {
        assertTrue(VectorOps.SIMD, "tests run with --add-modules jdk.incubator.vector, so SIMD must be on");
    }

    @Test
    void innerLoopsMatchTheirDefinitions() {
        for (int n : new int[] {1, 7, 16, 33, 64, 65, 273}) {
            float[] a = randn(n + 3), b = randn(n + 5), acc = randn(n + 2);
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) a[3 + i] * b[5 + i];
            }
            assertEquals(dot, VectorOps.dot(a, 3, b, 5, n), 1e-4 * (1 + Math.abs(dot)), "dot n=" + n);

            float[] y = acc.clone();
            VectorOps.axpy(0.5f, a, 3, y, 2, n);
            float[] z = acc.clone();
            VectorOps.mulAdd(a, 3, b, 5, z, 2, n);
            float[] out = new float[n + 1];
            VectorOps.siluGate(a, 3, b, 5, out, 1, n);
            for (int i = 0; i < n; i++) {
                assertEquals(acc[2 + i] + 0.5f * a[3 + i], y[2 + i], 1e-5, "axpy");
                assertEquals(acc[2 + i] + a[3 + i] * b[5 + i], z[2 + i], 1e-4, "mulAdd");
                double g = a[3 + i];
                double expected = g / (1 + Math.exp(-g)) * b[5 + i];
                assertEquals(expected, out[1 + i], 1e-5 * (1 + Math.abs(expected)), "siluGate");
            }
        }
    }
}
