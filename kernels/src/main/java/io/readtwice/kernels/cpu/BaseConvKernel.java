package io.readtwice.kernels.cpu;

/**
 * BaseConv's gated short convolution (model-spec §3): a depthwise causal cross-correlation of u1 with a
 * kernel of K taps (left zero padding), SiLU, times u2. The state is the last K pre-conv u1 rows.
 */
final class BaseConvKernel {
    private BaseConvKernel() {
    }

    /** Output row {@code t} of a sequence starting at {@code rowStart}; z rows are (u1, u2), 2·channels wide. */
    static void prefillRow(float[] z, int rowStart, int t, int channels, float[] conv, int kernel, float[] out) {
        int width = 2 * channels;
        int row = rowStart + t;
        for (int c = 0; c < channels; c++) {
            float acc = 0f;
            for (int j = 0; j < kernel; j++) {
                int src = t - (kernel - 1) + j;
                if (src >= 0) {
                    acc += conv[c * kernel + j] * z[(rowStart + src) * width + c];
                }
            }
            out[row * channels + c] = CpuMath.silu(acc) * z[row * width + channels + c];
        }
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
    static void step(float[] z, int row, int channels, float[] conv, int kernel, float[] state, float[] out) {
        System.arraycopy(state, channels, state, 0, (kernel - 1) * channels);
        System.arraycopy(z, row * 2 * channels, state, (kernel - 1) * channels, channels);
        for (int c = 0; c < channels; c++) {
            float acc = 0f;
            for (int j = 0; j < kernel; j++) {
                acc += conv[c * kernel + j] * state[j * channels + c];
            }
            out[row * channels + c] = CpuMath.silu(acc) * z[row * 2 * channels + channels + c];
        }
    }
}
