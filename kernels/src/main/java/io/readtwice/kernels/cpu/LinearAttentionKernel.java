package io.readtwice.kernels.cpu;

import io.readtwice.kernels.LinearAttentionDims;

import java.util.Arrays;

/**
 * Taylor linear attention on one (sequence, head) pair (model-spec §4.4, §4.5, §10.3–10.4).
 *
 * <p>State: {@code S = Σ φ(k)·[v, 1]ᵀ}, {@code [D, hd+1]}: the values with a ones column appended, so that the last
 * column is the normaliser {@code z = Σ φ(k)} and one product gives numerator and denominator together:
 * {@code φ(q)ᵀS = [num, den]}, {@code y = num / (den + eps)}.
 *
 * <p>Prefill is chunked (C tokens at a time), linear in the prompt and made of matrix products: each chunk reads the
 * state left by everything before it ({@code φ(Q)·S}), adds its own causal part with the exact Taylor scores
 * {@code 1 + s + s²/2}, {@code s = q·k/√F}, and then folds its keys into the state ({@code S += φ(K)ᵀ·[V, 1]}). The
 * encoder prefix of prefix linear attention seeds S the same way, non-causally. Masked keys (the reference's pad
 * mask, §4.3) enter as k = 0, i.e. φ = e₀ and score 1.
 */
final class LinearAttentionKernel {
    static final int CHUNK = 64;

    private final LinearAttentionDims dims;
    private final TaylorFeatureMap featureMap;
    private final int expanded;
    private final int width;

    LinearAttentionKernel(LinearAttentionDims dims) {
        this.dims = dims;
        this.featureMap = new TaylorFeatureMap(dims.featureDim());
        this.expanded = featureMap.expandedDim();
        this.width = dims.headDim() + 1;
    }

    /** Scratch for one task: the chunk's features, values, outputs and scores. */
    private final class Scratch {
        final float[] phiQ = new float[CHUNK * expanded];
        final float[] phiK = new float[CHUNK * expanded];
        final float[] queries = new float[CHUNK * dims.featureDim()];
        final float[] keys = new float[CHUNK * dims.featureDim()];
        final float[] values = new float[CHUNK * width];
        final float[] out = new float[CHUNK * width];
        final float[] scores = new float[CHUNK * CHUNK];
    }

    /**
     * Prefill of one head of one sequence, writing its outputs to {@code out} and its final state (offset
     * {@code head·D·(hd+1)}) to {@code state}.
     */
    void prefill(int head, float[] q, float[] k, float[] v, int rowStart, int rows, float[] kEnc, float[] vEnc,
                 int encRowStart, int encRows, int masked, float[] state, float[] out) {
        int f = dims.featureDim();
        int hd = dims.headDim();
        int keyWidth = dims.heads() * f;
        int valueWidth = dims.heads() * hd;
        int sOff = head * expanded * width;
        Arrays.fill(state, sOff, sOff + expanded * width, 0f);
        Scratch s = new Scratch();

        // Encoder prefix: S = φ(K_enc)ᵀ·[V_enc, 1], all of it visible to every query.
        for (int c0 = 0; c0 < encRows; c0 += CHUNK) {
            int n = Math.min(CHUNK, encRows - c0);
            loadKeys(kEnc, encRowStart + c0, n, keyWidth, head, c0, masked, s.keys);
            features(s.keys, n, s.phiK);
            loadValues(vEnc, encRowStart + c0, n, valueWidth, head, s.values);
            Gemm.gemm(true, false, expanded, width, n, 1f, s.phiK, 0, expanded, s.values, 0, width, 1f, state, sOff,
                    width);
        }

        // Causal part, chunk by chunk.
        float scale = (float) (1.0 / Math.sqrt(f));
        for (int c0 = 0; c0 < rows; c0 += CHUNK) {
            int n = Math.min(CHUNK, rows - c0);
            int row0 = rowStart + c0;
            loadKeys(q, row0, n, keyWidth, head, 0, 0, s.queries);
            features(s.queries, n, s.phiQ);
            // Everything before this chunk: out = φ(Q)·S.
            Gemm.gemm(false, false, n, width, expanded, 1f, s.phiQ, 0, expanded, state, sOff, width, 0f, s.out, 0,
                    width);
            // Within the chunk: Taylor scores 1 + s + s²/2 with s = q·k/√F, causal.
            loadKeys(k, row0, n, keyWidth, head, c0, masked, s.keys);
            Gemm.gemm(false, true, n, n, f, scale, s.queries, 0, f, s.keys, 0, f, 0f, s.scores, 0, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    float x = s.scores[i * n + j];
                    s.scores[i * n + j] = j <= i ? 1f + x + 0.5f * x * x : 0f;
                }
            }
            loadValues(v, row0, n, valueWidth, head, s.values);
            Gemm.gemm(false, false, n, width, n, 1f, s.scores, 0, n, s.values, 0, width, 1f, s.out, 0, width);
            for (int i = 0; i < n; i++) {
                float inv = 1f / (s.out[i * width + hd] + dims.eps());
                int o = (row0 + i) * valueWidth + head * hd;
                for (int e = 0; e < hd; e++) {
                    out[o + e] = s.out[i * width + e] * inv;
                }
            }
            // Fold this chunk's keys into the state.
            features(s.keys, n, s.phiK);
            Gemm.gemm(true, false, expanded, width, n, 1f, s.phiK, 0, expanded, s.values, 0, width, 1f, state, sOff,
                    width);
        }
    }

    /** One decode step of one head of one sequence (row {@code row} of q, k, v, out). */
    void step(int head, float[] q, float[] k, float[] v, int row, float kvWeight, float[] state, float[] out) {
        int f = dims.featureDim();
        int hd = dims.headDim();
        int valueWidth = dims.heads() * hd;
        int sOff = head * expanded * width;
        float[] phiK = new float[expanded];
        float[] phiQ = new float[expanded];
        featureMap.apply(k, row * dims.heads() * f + head * f, phiK, 0);
        featureMap.apply(q, row * dims.heads() * f + head * f, phiQ, 0);
        int vOff = row * valueWidth + head * hd;
        // Each state row is read out right after its update, while it is in L1: one pass over the state.
        float[] acc = new float[width];
        for (int i = 0; i < expanded; i++) {
            int r = sOff + i * width;
            VectorOps.axpy(kvWeight * phiK[i], v, vOff, state, r, hd);
            state[r + hd] += phiK[i];
            VectorOps.axpy(phiQ[i], state, r, acc, 0, width);
        }
        float inv = 1f / (acc[hd] + dims.eps());
        for (int e = 0; e < hd; e++) {
            out[vOff + e] = acc[e] * inv;
        }
    }

    /** Copies n rows of one head's F-dim keys (or queries); positions below {@code masked} become 0. */
    private void loadKeys(float[] src, int row0, int n, int rowWidth, int head, int position0, int masked,
                          float[] dst) {
        int f = dims.featureDim();
        for (int i = 0; i < n; i++) {
            if (position0 + i < masked) {
                Arrays.fill(dst, i * f, (i + 1) * f, 0f);
            } else {
                System.arraycopy(src, (row0 + i) * rowWidth + head * f, dst, i * f, f);
            }
        }
    }

    /** Copies n rows of one head's values and appends the ones column. */
    private void loadValues(float[] src, int row0, int n, int rowWidth, int head, float[] dst) {
        int hd = dims.headDim();
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, (row0 + i) * rowWidth + head * hd, dst, i * width, hd);
            dst[i * width + hd] = 1f;
        }
    }

    private void features(float[] x, int n, float[] phi) {
        int f = dims.featureDim();
        for (int i = 0; i < n; i++) {
            featureMap.apply(x, i * f, phi, i * expanded);
        }
    }
}
