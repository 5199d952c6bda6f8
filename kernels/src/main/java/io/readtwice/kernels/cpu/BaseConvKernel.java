package io.readtwice.kernels.cpu;

/**
 * BaseConv's gated short convolution (model-spec §3): a depthwise causal cross-correlation of u1 with a
 * kernel of K taps (left zero padding), SiLU, times u2. The state is the last K pre-conv u1 rows. Loops run along
 * the channels, so the taps are used transposed, {@code [K, channels]}.
 */
final class BaseConvKernel {
    private BaseConvKernel() {
    }

    /** The conv weights [channels, K] as [K, channels]. */
    static float[] transpose(float[] conv, int channels, int kernel) {
        float[] t = new float[kernel * channels];
        for (int c = 0; c < channels; c++) {
            for (int j = 0; j < kernel; j++) {
                t[j * channels + c] = conv[c * kernel + j];
            }
        }
        return t;
    }

    /**
     * Output row {@code t} of a sequence starting at {@code rowStart}; z rows are (u1, u2), 2·channels wide;
     * {@code acc} is scratch of {@code channels} floats.
     */
    static void prefillRow(float[] z, int rowStart, int t, int channels, float[] taps, int kernel, float[] acc,
                           float[] out) {
        int width = 2 * channels;
        java.util.Arrays.fill(acc, 0f);
        for (int j = 0; j < kernel; j++) {
            int src = t - (kernel - 1) + j;
            if (src >= 0) {
                VectorOps.mulAdd(taps, j * channels, z, (rowStart + src) * width, acc, 0, channels);
            }
        }
        int row = rowStart + t;
        VectorOps.siluGate(acc, 0, z, row * width + channels, out, row * channels, channels);
    }

    /** Copies the last K u1 rows of a sequence into the state, right-aligned, zeros in front. */
    static void saveState(float[] z, int rowStart, int rows, int channels, int kernel, float[] state) {
        java.util.Arrays.fill(state, 0f);
        for (int j = 0; j < kernel; j++) {
            int src = rows - kernel + j;
            if (src >= 0) {
                System.arraycopy(z, (rowStart + src) * 2 * channels, state, j * channels, channels);
            }
        }
    }

    /** Decode: shift the state left by one row, append this step's u1, convolve over the state. */
    static void step(float[] z, int row, int channels, float[] taps, int kernel, float[] state, float[] out) {
        System.arraycopy(state, channels, state, 0, (kernel - 1) * channels);
        System.arraycopy(z, row * 2 * channels, state, (kernel - 1) * channels, channels);
        float[] acc = new float[channels];
        for (int j = 0; j < kernel; j++) {
            VectorOps.mulAdd(taps, j * channels, state, j * channels, acc, 0, channels);
        }
        VectorOps.siluGate(acc, 0, z, row * 2 * channels + channels, out, row * channels, channels);
    }
}
