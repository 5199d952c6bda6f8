package io.readtwice.kernels.cpu;

import io.readtwice.kernels.LinearAttentionDims;

import java.util.Arrays;

/**
 * Taylor linear attention in its recurrent form (model-spec §4.4 "linear-time equivalent", §4.5, §10.3–10.4):
 * per head, the state {@code S = Σ φ(k)vᵀ} ({@code [D, hd]}) and {@code z = Σ φ(k)} ({@code [D]}) are accumulated
 * token by token and each query reads {@code φ(q)ᵀS / (φ(q)·z + eps)}. Linear in the prompt, and the prefill leaves
 * exactly the state that decoding continues from. One call handles one (sequence, head) pair.
 */
final class LinearAttentionKernel {
    private final LinearAttentionDims dims;
    private final TaylorFeatureMap featureMap;

    LinearAttentionKernel(LinearAttentionDims dims) {
        this.dims = dims;
        this.featureMap = new TaylorFeatureMap(dims.featureDim());
    }

    /**
     * Prefill of one head of one sequence: encoder prefix (non-causal, all of it seeds S and z), then the causal
     * pass. Masked keys (the first {@code masked} positions) enter as φ(0) = e₀, as in the reference (§4.3).
     */
    void prefill(int head, float[] q, float[] k, float[] v, int rowStart, int rows, float[] kEnc, float[] vEnc,
                 int encRowStart, int encRows, int masked, float[] kv, float[] keySum, float[] out) {
        int f = dims.featureDim();
        int hd = dims.headDim();
        int d = featureMap.expandedDim();
        int keyWidth = dims.heads() * f;
        int valueWidth = dims.heads() * hd;
        int kvOff = head * d * hd;
        int zOff = head * d;
        Arrays.fill(kv, kvOff, kvOff + d * hd, 0f);
        Arrays.fill(keySum, zOff, zOff + d, 0f);
        float[] phi = new float[d];

        for (int j = 0; j < encRows; j++) {
            int row = encRowStart + j;
            featureMap.apply(kEnc, row * keyWidth + head * f, j < masked, phi);
            accumulate(phi, 1f, vEnc, row * valueWidth + head * hd, kv, kvOff, keySum, zOff);
        }
        for (int t = 0; t < rows; t++) {
            int row = rowStart + t;
            featureMap.apply(k, row * keyWidth + head * f, t < masked, phi);
            accumulate(phi, 1f, v, row * valueWidth + head * hd, kv, kvOff, keySum, zOff);
            featureMap.apply(q, row * keyWidth + head * f, false, phi);
            read(phi, kv, kvOff, keySum, zOff, out, row * valueWidth + head * hd);
        }
    }

    /** One decode step of one head of one sequence (row {@code row} of q, k, v, out). */
    void step(int head, float[] q, float[] k, float[] v, int row, float kvWeight, float[] kv, float[] keySum,
              float[] out) {
        int f = dims.featureDim();
        int hd = dims.headDim();
        int d = featureMap.expandedDim();
        int keyWidth = dims.heads() * f;
        int valueWidth = dims.heads() * hd;
        float[] phi = new float[d];
        featureMap.apply(k, row * keyWidth + head * f, false, phi);
        accumulate(phi, kvWeight, v, row * valueWidth + head * hd, kv, head * d * hd, keySum, head * d);
        featureMap.apply(q, row * keyWidth + head * f, false, phi);
        read(phi, kv, head * d * hd, keySum, head * d, out, row * valueWidth + head * hd);
    }

    /** {@code S += w·φ vᵀ; z += φ}. */
    private void accumulate(float[] phi, float w, float[] v, int vOff, float[] kv, int kvOff, float[] keySum,
                            int zOff) {
        int hd = dims.headDim();
        for (int i = 0; i < phi.length; i++) {
            float p = phi[i];
            if (p != 0f) {
                VectorOps.axpy(w * p, v, vOff, kv, kvOff + i * hd, hd);
            }
            keySum[zOff + i] += p;
        }
    }

    /** {@code out = φᵀS / (φ·z + eps)}. */
    private void read(float[] phi, float[] kv, int kvOff, float[] keySum, int zOff, float[] out, int outOff) {
        int hd = dims.headDim();
        Arrays.fill(out, outOff, outOff + hd, 0f);
        for (int i = 0; i < phi.length; i++) {
            float p = phi[i];
            if (p != 0f) {
                VectorOps.axpy(p, kv, kvOff + i * hd, out, outOff, hd);
            }
        }
        float denominator = VectorOps.dot(phi, 0, keySum, zOff, phi.length) + dims.eps();
        float inv = 1f / denominator;
        for (int e = 0; e < hd; e++) {
            out[outOff + e] *= inv;
        }
    }
}
