package io.readtwice.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CPU mixer kernels against naive oracles written straight from the spec's formulas: the quadratic form of
 * (prefix) linear attention (model-spec §4.4), dense windowed softmax attention (§5) and the direct convolution
 * (§3). Also: a prefill followed by decode steps equals a longer prefill, and packing sequences changes nothing.
 */
class MixerKernelsTest {
    private static final double TOL = 2e-5;
    private final Random random = new Random(7);
    private final CpuBackend backend = new CpuBackend(2);

    private float[] randn(int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * scale);
        }
        return x;
    }

    // ---- linear attention ----

    private static double taylor(float[] q, int qOff, float[] k, int kOff, int f, boolean kZero) {
        if (kZero) {
            return 1.0;
        }
        double s = 0;
        for (int i = 0; i < f; i++) {
            s += (double) q[qOff + i] * k[kOff + i];
        }
        s /= Math.sqrt(f);
        return 1 + s + s * s / 2;
    }

    /** Spec §4.4 literally: every query against every causal key and every encoder key. */
    private static double[] naivePrefixAttention(LinearAttentionDims dims, float[] q, float[] k, float[] v,
                                                 float[] kEnc, float[] vEnc, int rows, int encRows, int masked) {
        int h = dims.heads(), f = dims.featureDim(), hd = dims.headDim();
        double[] out = new double[rows * h * hd];
        for (int head = 0; head < h; head++) {
            for (int t = 0; t < rows; t++) {
                double den = 0;
                double[] num = new double[hd];
                for (int j = 0; j <= t; j++) {
                    double a = taylor(q, t * h * f + head * f, k, j * h * f + head * f, f, j < masked);
                    den += a;
                    for (int e = 0; e < hd; e++) {
                        num[e] += a * v[j * h * hd + head * hd + e];
                    }
                }
                for (int j = 0; j < encRows; j++) {
                    double b = taylor(q, t * h * f + head * f, kEnc, j * h * f + head * f, f, j < masked);
                    den += b;
                    for (int e = 0; e < hd; e++) {
                        num[e] += b * vEnc[j * h * hd + head * hd + e];
                    }
                }
                for (int e = 0; e < hd; e++) {
                    out[t * h * hd + head * hd + e] = num[e] / (den + dims.eps());
                }
            }
        }
        return out;
    }

    @Test
    void prefixLinearAttentionPrefillEqualsTheQuadraticForm() {
        LinearAttentionDims dims = new LinearAttentionDims(3, 16, 8, 1e-12f);
        // Longer than a chunk (64), with the encoder and the masked prefix crossing chunk boundaries.
        int rows = 150, encRows = 90, masked = 70;
        int kw = dims.heads() * dims.featureDim(), vw = dims.heads() * dims.headDim();
        float[] q = randn(rows * kw, 0.5), k = randn(rows * kw, 0.5), v = randn(rows * vw, 1);
        float[] kEnc = randn(encRows * kw, 0.5), vEnc = randn(encRows * vw, 1);
        float[] out = new float[rows * vw];
        float[][] state = {new float[dims.stateSize()]};
        backend.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, new int[] {0, rows}, new int[] {0, encRows},
                new int[] {masked}, state, out);
        assertClose(naivePrefixAttention(dims, q, k, v, kEnc, vEnc, rows, encRows, masked), out, 0);
    }

    @Test
    void decodeStepsContinueThePrefillExactlyAsALongerPrefill() {
        LinearAttentionDims dims = new LinearAttentionDims(2, 16, 8, 1e-12f);
        int rows = 140, prefix = 131;
        int kw = dims.heads() * dims.featureDim(), vw = dims.heads() * dims.headDim();
        float[] q = randn(rows * kw, 0.5), k = randn(rows * kw, 0.5), v = randn(rows * vw, 1);
        float[] full = new float[rows * vw];
        backend.linearAttentionPrefill(dims, q, k, v, null, null, new int[] {0, rows}, null, null,
                new float[][] {new float[dims.stateSize()]}, full);

        float[][] state = {new float[dims.stateSize()]};
        float[] part = new float[prefix * vw];
        backend.linearAttentionPrefill(dims, q, k, v, null, null, new int[] {0, prefix}, null, null, state, part);
        for (int t = prefix; t < rows; t++) {
            float[] stepOut = new float[vw];
            backend.linearAttentionStep(dims, slice(q, t, kw), slice(k, t, kw), slice(v, t, vw), 1, 1f, state,
                    stepOut);
            assertClose(toDouble(slice(full, t, vw)), stepOut, 0);
        }
    }

    @Test
    void doubleKvUpdateWeighsGeneratedKeysTwiceInTheNumeratorOnly() {
        LinearAttentionDims dims = new LinearAttentionDims(1, 16, 4, 1e-12f);
        int kw = 16, vw = 4;
        float[] q = randn(2 * kw, 0.5), k = randn(2 * kw, 0.5), v = randn(2 * vw, 1);
        float[][] state = {new float[dims.stateSize()]};
        backend.linearAttentionPrefill(dims, q, k, v, null, null, new int[] {0, 1}, null, null, state,
                new float[vw]);
        float[] out = new float[vw];
        backend.linearAttentionStep(dims, slice(q, 1, kw), slice(k, 1, kw), slice(v, 1, vw), 1, 2f, state, out);
        double a0 = taylor(q, kw, k, 0, 16, false), a1 = taylor(q, kw, k, kw, 16, false);
        double[] expected = new double[vw];
        for (int e = 0; e < vw; e++) {
            expected[e] = (a0 * v[e] + 2 * a1 * v[vw + e]) / (a0 + a1);
        }
        assertClose(expected, out, 0);
    }

    @Test
    void packedSequencesGiveTheSameResultsAsSeparateCalls() {
        LinearAttentionDims dims = new LinearAttentionDims(2, 16, 8, 1e-12f);
        int[] lengths = {7, 1, 12};
        int kw = dims.heads() * dims.featureDim(), vw = dims.heads() * dims.headDim();
        int rows = 20;
        float[] q = randn(rows * kw, 0.5), k = randn(rows * kw, 0.5), v = randn(rows * vw, 1);
        int[] seqStart = {0, 7, 8, 20};
        int[] encStart = {0, 4, 5, 9};
        float[] kEnc = randn(9 * kw, 0.5), vEnc = randn(9 * vw, 1);
        int[] masked = {2, 0, 1};
        float[][] state = new float[3][dims.stateSize()];
        float[] packed = new float[rows * vw];
        backend.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, seqStart, encStart, masked, state, packed);
        for (int s = 0; s < lengths.length; s++) {
            int n = lengths[s], e = encStart[s + 1] - encStart[s];
            double[] expected = naivePrefixAttention(dims, rows(q, seqStart[s], n, kw), rows(k, seqStart[s], n, kw),
                    rows(v, seqStart[s], n, vw), rows(kEnc, encStart[s], e, kw), rows(vEnc, encStart[s], e, vw), n, e,
                    masked[s]);
            assertClose(expected, packed, seqStart[s] * vw);
        }
    }

    // ---- sliding-window attention ----

    private static void rotate(double[] x, int pos, int hd, double base) {
        int half = hd / 2;
        for (int i = 0; i < half; i++) {
            double theta = pos / Math.pow(base, 2.0 * i / hd);
            double x1 = x[i], x2 = x[i + half];
            x[i] = x1 * Math.cos(theta) - x2 * Math.sin(theta);
            x[i + half] = x1 * Math.sin(theta) + x2 * Math.cos(theta);
        }
    }

    private static double[] naiveWindowAttention(WindowDims dims, float[] qkv, int rows) {
        int h = dims.heads(), hd = dims.headDim(), width = h * hd;
        double[] out = new double[rows * width];
        for (int head = 0; head < h; head++) {
            for (int t = 0; t < rows; t++) {
                double[] q = new double[hd];
                for (int e = 0; e < hd; e++) {
                    q[e] = qkv[t * 3 * width + head * hd + e];
                }
                rotate(q, t, hd, dims.rotaryBase());
                int first = Math.max(0, t - dims.windowBack());
                double[] p = new double[t - first + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = first; j <= t; j++) {
                    double[] kk = new double[hd];
                    for (int e = 0; e < hd; e++) {
                        kk[e] = qkv[j * 3 * width + width + head * hd + e];
                    }
                    rotate(kk, j, hd, dims.rotaryBase());
                    double s = 0;
                    for (int e = 0; e < hd; e++) {
                        s += q[e] * kk[e];
                    }
                    p[j - first] = s / Math.sqrt(hd);
                    max = Math.max(max, p[j - first]);
                }
                double sum = 0;
                for (int j = 0; j < p.length; j++) {
                    p[j] = Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int j = first; j <= t; j++) {
                    for (int e = 0; e < hd; e++) {
                        out[t * width + head * hd + e] += p[j - first] / sum * qkv[j * 3 * width + 2 * width + head * hd + e];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void slidingWindowPrefillAndStepsEqualDenseWindowedAttention() {
        WindowDims dims = new WindowDims(2, 8, 4, 10000f);
        int rows = 17, prefix = 6, width = 16;
        float[] qkv = randn(rows * 3 * width, 1);
        double[] expected = naiveWindowAttention(dims, qkv, rows);

        float[] full = new float[rows * width];
        backend.slidingWindowPrefill(dims, qkv, new int[] {0, rows}, new float[][] {new float[dims.cacheSize()]},
                new float[][] {new float[dims.cacheSize()]}, full);
        assertClose(expected, full, 0);

        float[][] keys = {new float[dims.cacheSize()]};
        float[][] values = {new float[dims.cacheSize()]};
        backend.slidingWindowPrefill(dims, qkv, new int[] {0, prefix}, keys, values, new float[prefix * width]);
        for (int t = prefix; t < rows; t++) {
            float[] out = new float[width];
            backend.slidingWindowStep(dims, slice(qkv, t, 3 * width), new int[] {t}, keys, values, out);
            assertClose(slice(expected, t, width), out, 0);
        }
    }

    // ---- BaseConv ----

    @Test
    void baseConvPrefillAndStepsEqualTheDirectConvolution() {
        int channels = 6, kernel = 3, rows = 9, prefix = 4;
        float[] z = randn(rows * 2 * channels, 1);
        float[] conv = randn(channels * kernel, 1);
        double[] expected = new double[rows * channels];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < channels; c++) {
                double acc = 0;
                for (int j = 0; j < kernel; j++) {
                    int src = t - 2 + j;
                    acc += src < 0 ? 0 : conv[c * kernel + j] * z[src * 2 * channels + c];
                }
                expected[t * channels + c] = acc / (1 + Math.exp(-acc)) * z[t * 2 * channels + channels + c];
            }
        }
        float[] full = new float[rows * channels];
        backend.baseConvPrefill(z, new int[] {0, rows}, channels, conv, kernel, new float[][] {new float[18]}, full);
        assertClose(expected, full, 0);

        float[][] state = {new float[kernel * channels]};
        backend.baseConvPrefill(z, new int[] {0, prefix}, channels, conv, kernel, state, new float[prefix * channels]);
        for (int t = prefix; t < rows; t++) {
            float[] out = new float[channels];
            backend.baseConvStep(slice(z, t, 2 * channels), 1, channels, conv, kernel, state, out);
            assertClose(slice(expected, t, channels), out, 0);
        }
    }

    @Test
    void linearMatchesTheDefinition() {
        int rows = 5, in = 7, out = 3;
        float[] x = randn(rows * in, 1), w = randn(out * in, 1), b = randn(out, 1);
        float[] y = new float[2 + rows * out];
        backend.linear(x, 0, rows, in, w, out, b, y, 2);
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[r * in + i] * w[o * in + i];
                }
                assertEquals(s, y[2 + r * out + o], 1e-5);
            }
        }
    }

    // ---- helpers ----

    private static float[] slice(float[] x, int row, int width) {
        return rows(x, row, 1, width);
    }

    private static double[] slice(double[] x, int row, int width) {
        double[] out = new double[width];
        System.arraycopy(x, row * width, out, 0, width);
        return out;
    }

    private static float[] rows(float[] x, int from, int count, int width) {
        float[] out = new float[count * width];
        System.arraycopy(x, from * width, out, 0, count * width);
        return out;
    }

    private static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i];
        }
        return out;
    }

    private static void assertClose(double[] expected, float[] actual, int offset) {
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[offset + i]);
            if (!(diff <= TOL * (1 + Math.abs(expected[i])))) {
                fail("element " + i + ": expected " + expected[i] + ", got " + actual[offset + i]);
            }
        }
    }
}
