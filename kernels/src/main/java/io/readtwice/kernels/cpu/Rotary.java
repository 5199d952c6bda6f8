package io.readtwice.kernels.cpu;

/**
 * Rotary position embedding, non-interleaved (GPT-NeoX "rotate half"), over the full head dim (model-spec §5):
 * pair (x_i, x_{i+hd/2}) is rotated by θ = pos·inv_freq_i with inv_freq_i = 1/base^{2i/hd}. Frequencies, angles,
 * cosines and sines are float32, computed in the same order as the reference so that long positions agree.
 */
final class Rotary {
    private final int half;
    private final float[] inverseFrequency;

    Rotary(int headDim, float base) {
        this.half = headDim / 2;
        this.inverseFrequency = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / headDim;
            inverseFrequency[i] = 1f / (float) Math.pow(base, exponent);
        }
    }

    /** cos and sin of every angle at {@code pos}, written to {@code cos[off..off+hd/2)} and {@code sin[...]}. */
    void angles(int pos, float[] cos, float[] sin, int off) {
        for (int i = 0; i < half; i++) {
            float theta = (float) pos * inverseFrequency[i];
            cos[off + i] = (float) Math.cos(theta);
            sin[off + i] = (float) Math.sin(theta);
        }
    }

    /** Rotates x[xOff .. xOff+hd) into y[yOff ..) with the angles at {@code angleOff}. */
    void rotate(float[] x, int xOff, float[] cos, float[] sin, int angleOff, float[] y, int yOff) {
        for (int i = 0; i < half; i++) {
            float x1 = x[xOff + i];
            float x2 = x[xOff + half + i];
            float c = cos[angleOff + i];
            float s = sin[angleOff + i];
            y[yOff + i] = x1 * c - x2 * s;
            y[yOff + half + i] = x1 * s + x2 * c;
        }
    }
}
