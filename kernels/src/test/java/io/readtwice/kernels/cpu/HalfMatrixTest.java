package io.readtwice.kernels.cpu;

import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** binary16 rounding and widening, and 16-bit storage built from a source without a float32 copy of it. */
class HalfMatrixTest {

    @Test
    void binary16RoundsToNearestEvenAndOverflowsToInfinity() {
        assertEquals((short) 0x3C00, F16Matrix.toF16(1f));
        assertEquals((short) 0xC000, F16Matrix.toF16(-2f));
        assertEquals((short) 0x8000, F16Matrix.toF16(-0f));
        assertEquals((short) 0x7BFF, F16Matrix.toF16(65504f), "largest finite");
        assertEquals((short) 0x7BFF, F16Matrix.toF16(65519.99f));
        assertEquals((short) 0x7C00, F16Matrix.toF16(65520f), "the tie above 65504 rounds to even: infinity");
        assertEquals((short) 0xFC00, F16Matrix.toF16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x3C00, F16Matrix.toF16(1f + 0x1p-11f), "tie to even (down)");
        assertEquals((short) 0x3C02, F16Matrix.toF16(1f + 3 * 0x1p-11f), "tie to even (up)");
        assertEquals((short) 0x3C01, F16Matrix.toF16(1f + 0x1p-11f + 0x1p-20f), "above the tie");
        assertEquals((short) 0x0001, F16Matrix.toF16(0x1p-24f), "smallest subnormal");
        assertEquals((short) 0x0000, F16Matrix.toF16(0x1p-25f), "half the smallest subnormal ties to zero");
        assertEquals((short) 0x0002, F16Matrix.toF16(3 * 0x1p-25f));
        assertEquals((short) 0x0400, F16Matrix.toF16(0x1p-14f - 0x1p-26f), "rounds up into the normals");
        assertTrue(Float.isNaN(F16Matrix.toFloat(F16Matrix.toF16(Float.NaN))));
    }

    @Test
    void everyBinary16ValueWidensExactlyAndRoundsBackToItself() {
        float[] all = new float[1 << 16];
        for (int h = 0; h < all.length; h++) {
            all[h] = F16Matrix.toFloat((short) h);
            if (!Float.isNaN(all[h])) {
                assertEquals((short) h, F16Matrix.toF16(all[h]), "pattern " + Integer.toHexString(h));
            }
        }
        assertEquals(65504f, all[0x7BFF]);
        assertEquals(0x1p-24f, all[0x0001]);
        assertEquals(Float.NEGATIVE_INFINITY, all[0xFC00]);
        // The SIMD widening of the product path against the scalar one, for every pattern (odd and even columns).
        F16Matrix m = F16Matrix.of(all, 256, 256);
        float[] split = new float[256 * 256];
        m.widenRowsSplit(0, 256, split);
        for (int r = 0; r < 256; r++) {
            for (int c = 0; c < 256; c++) {
                float expected = all[r * 256 + c];
                float actual = split[r * 256 + (c % 2 == 0 ? c / 2 : 128 + c / 2)];
                if (Float.isNaN(expected)) {
                    assertTrue(Float.isNaN(actual));
                } else {
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                            "pattern " + Integer.toHexString(r * 256 + c));
                }
            }
        }
    }

    @Test
    void binary16MatricesMultiplyLikeTheirWidenedValues() {
        Random random = new Random(5);
        int in = 70, out = 300;
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        F16Matrix f16 = F16Matrix.of(w, out, in);
        float[] widened = new float[out * in];
        f16.widenRows(0, out, widened, 0);
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], widened[i], Math.abs(w[i]) / 2048 + 0x1p-24, "binary16 keeps 11 significant bits");
        }
        for (int rows : new int[] {1, 3, 20}) {
            float[] x = new float[rows * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            float[] expected = new float[rows * out];
            float[] actual = new float[rows * out];
            Gemm.linear(x, 0, rows, new F32Matrix(widened, out, in), 0, out, null, expected, 0);
            Gemm.linear(x, 0, rows, f16, 0, out, null, actual, 0);
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4, "rows=" + rows + " element " + i);
            }
        }
    }

    /** A source that remembers the most rows one read asked for. */
    private static final class CountingSource implements MatrixSource {
        private final float[] values;
        private final int rows;
        private final int cols;
        int largestRead;
        long rowsRead;

        CountingSource(float[] values, int rows, int cols) {
            this.values = values;
            this.rows = rows;
            this.cols = cols;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int cols() {
            return cols;
        }

        @Override
        public void read(int from, int to, float[] dst, int dstOffset) {
            largestRead = Math.max(largestRead, to - from);
            rowsRead += to - from;
            System.arraycopy(values, from * cols, dst, dstOffset, (to - from) * cols);
        }
    }

    @Test
    void sixteenBitStorageReadsItsSourceInPiecesNotAsOneFloat32Copy() {
        int rows = 1000, cols = 1024;
        float[] values = new float[rows * cols];
        Random random = new Random(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() - 0.5f;
        }
        CpuBackend backend = new CpuBackend(1);
        for (WeightPrecision precision : new WeightPrecision[] {WeightPrecision.BF16, WeightPrecision.FP16}) {
            CountingSource source = new CountingSource(values, rows, cols);
            Matrix m = backend.matrix(source, precision);
            assertEquals(precision, m.precision());
            assertEquals(2L * rows * cols, m.bytes());
            assertEquals(rows, source.rowsRead, "every row read once");
            assertTrue(source.largestRead * 8 <= rows, "reads of at most an eighth of the matrix, got "
                    + source.largestRead + " rows");
            HalfMatrix half = assertInstanceOf(HalfMatrix.class, m);
            HalfMatrix whole = precision == WeightPrecision.BF16 ? Bf16Matrix.of(values, rows, cols)
                    : F16Matrix.of(values, rows, cols);
            for (int i = 0; i < values.length; i += 997) {
                assertEquals(whole.get(i / cols, i % cols), half.get(i / cols, i % cols));
            }
        }
        // float32 keeps a caller's array rather than copying it.
        Matrix f32 = backend.matrix(MatrixSource.of(values, rows, cols), WeightPrecision.FP32);
        assertSame(values, ((F32Matrix) f32).values());
    }
}
