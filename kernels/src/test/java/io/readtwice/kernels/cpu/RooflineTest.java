package io.readtwice.kernels.cpu;

import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The weight-read probe reads float32 and 16-bit storage; a matrix not in host memory makes it NaN. */
class RooflineTest {

    @Test
    void weightReadProbeStreamsHostStorageAndRefusesOtherMatrices() {
        float[] values = new float[1 << 16];
        java.util.Arrays.fill(values, 0.5f);
        Parallel parallel = new Parallel(2);
        List<Matrix> host = List.of(new F32Matrix(values, 256, 256), Bf16Matrix.of(values, 256, 256),
                F16Matrix.of(values, 256, 256));
        double gbPerS = Roofline.weightReadGbPerS(host, parallel);
        assertTrue(gbPerS > 0 && Double.isFinite(gbPerS), "GB/s " + gbPerS);

        Matrix elsewhere = new Matrix() {
            public int rows() {
                return 1;
            }

            public int cols() {
                return 1;
            }

            public WeightPrecision precision() {
                return WeightPrecision.BF16;
            }

            public long bytes() {
                return 2;
            }
        };
        assertEquals(Double.NaN, Roofline.weightReadGbPerS(List.of(host.get(0), elsewhere), parallel));
    }

    @Test
    void integerSumsWrapLikeJavaInts() {
        int[] x = new int[37];
        java.util.Arrays.fill(x, Integer.MAX_VALUE);
        int expected = 0;
        for (int v : x) {
            expected += v;
        }
        assertEquals(expected, VectorOps.sumInts(x, 0, x.length));
        assertEquals(3 * Integer.MAX_VALUE, VectorOps.sumInts(x, 5, 3));
    }
}
