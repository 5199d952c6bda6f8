package io.readtwice.kernels.cpu;

import io.readtwice.kernels.WindowDims;

/**
 * Sliding-window softmax attention with rotary positions (model-spec §5): query i attends keys
 * i−windowBack..i (flash-attn window (window_size/2, 0), i.e. windowBack + 1 keys), scale 1/√hd. The decode
 * cache is a ring of the last windowBack + 1 rotated keys and values, slot = position mod (windowBack + 1).
 */
final class SlidingWindowKernel {
    private final WindowDims dims;
    private final Rotary rotary;
    private final float scale;

    SlidingWindowKernel(WindowDims dims) {
        this.dims = dims;
        this.rotary = new Rotary(dims.headDim(), dims.rotaryBase());
        this.scale = (float) (1.0 / Math.sqrt(dims.headDim()));
    }

    /** Angles of positions 0..rows-1, shared by all heads of a sequence: [rows, hd/2] each. */
    float[][] angles(int rows) {
        int half = dims.headDim() / 2;
        float[] cos = new float[rows * half];
        float[] sin = new float[rows * half];
        for (int t = 0; t < rows; t++) {
            rotary.angles(t, cos, sin, t * half);
        }
        return new float[][] {cos, sin};
    }

    /** Angles of one position, shared by all heads of a decode step: {cos, sin}, hd/2 each. */
    float[][] anglesAt(int pos) {
        int half = dims.headDim() / 2;
        float[] cos = new float[half];
        float[] sin = new float[half];
        rotary.angles(pos, cos, sin, 0);
        return new float[][] {cos, sin};
    }

    /** Prefill of one head of one sequence; fills the head's slice of the ring caches. */
    void prefill(int head, float[] qkv, int rowStart, int rows, float[][] angles, float[] keyCache,
                 float[] valueCache, float[] out) {
        int hd = dims.headDim();
        int half = hd / 2;
        int width = dims.heads() * hd;
        int qOff = head * hd;
        int kOff = width + head * hd;
        int vOff = 2 * width + head * hd;
        float[] q = new float[rows * hd];
        float[] k = new float[rows * hd];
        for (int t = 0; t < rows; t++) {
            int row = (rowStart + t) * 3 * width;
            rotary.rotate(qkv, row + qOff, angles[0], angles[1], t * half, q, t * hd);
            rotary.rotate(qkv, row + kOff, angles[0], angles[1], t * half, k, t * hd);
        }
        float[] scores = new float[dims.windowBack() + 1];
        for (int t = 0; t < rows; t++) {
            int first = Math.max(0, t - dims.windowBack());
            float max = Float.NEGATIVE_INFINITY;
            for (int j = first; j <= t; j++) {
                float s = VectorOps.dot(q, t * hd, k, j * hd, hd) * scale;
                scores[j - first] = s;
                max = Math.max(max, s);
            }
            int o = (rowStart + t) * width + head * hd;
            java.util.Arrays.fill(out, o, o + hd, 0f);
            float sum = 0f;
            for (int j = first; j <= t; j++) {
                float p = (float) Math.exp(scores[j - first] - max);
                sum += p;
                VectorOps.axpy(p, qkv, (rowStart + j) * 3 * width + vOff, out, o, hd);
            }
            float inv = 1f / sum;
            for (int e = 0; e < hd; e++) {
                out[o + e] *= inv;
            }
        }
        int cacheLength = dims.cacheLength();
        for (int t = Math.max(0, rows - cacheLength); t < rows; t++) {
            int slot = (t % cacheLength) * width + head * hd;
            System.arraycopy(k, t * hd, keyCache, slot, hd);
            System.arraycopy(qkv, (rowStart + t) * 3 * width + vOff, valueCache, slot, hd);
        }
    }

    /**
     * Decode step of one head of one sequence at position {@code pos} (row {@code row} of qkv and out), with that
     * position's {@link #anglesAt angles}.
     */
    void step(int head, float[] qkv, int row, int pos, float[][] angles, float[] keyCache, float[] valueCache,
              float[] out) {
        int hd = dims.headDim();
        int width = dims.heads() * hd;
        int cacheLength = dims.cacheLength();
        float[] cos = angles[0];
        float[] sin = angles[1];
        float[] q = new float[hd];
        int in = row * 3 * width;
        rotary.rotate(qkv, in + head * hd, cos, sin, 0, q, 0);
        int slot = (pos % cacheLength) * width + head * hd;
        rotary.rotate(qkv, in + width + head * hd, cos, sin, 0, keyCache, slot);
        System.arraycopy(qkv, in + 2 * width + head * hd, valueCache, slot, hd);

        int first = Math.max(0, pos - dims.windowBack());
        float[] scores = new float[cacheLength];
        float max = Float.NEGATIVE_INFINITY;
        for (int p = first; p <= pos; p++) {
            float s = VectorOps.dot(q, 0, keyCache, (p % cacheLength) * width + head * hd, hd) * scale;
            scores[p - first] = s;
            max = Math.max(max, s);
        }
        int o = row * width + head * hd;
        java.util.Arrays.fill(out, o, o + hd, 0f);
        float sum = 0f;
        for (int p = first; p <= pos; p++) {
            float e = (float) Math.exp(scores[p - first] - max);
            sum += e;
            VectorOps.axpy(e, valueCache, (p % cacheLength) * width + head * hd, out, o, hd);
        }
        float inv = 1f / sum;
        for (int e = 0; e < hd; e++) {
            out[o + e] *= inv;
        }
    }
}
