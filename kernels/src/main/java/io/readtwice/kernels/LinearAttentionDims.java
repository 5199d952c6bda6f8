package io.readtwice.kernels;

/**
 * Shape of a Taylor linear attention (model-spec §4, §10): H heads, F-dim feature keys and queries, hd-dim values.
 * The feature map expands F to D = 1 + F + F² (273 for F = 16).
 *
 * @param heads      H
 * @param featureDim F
 * @param headDim    hd (value dim per head)
 * @param eps        added to the normaliser
 */
public record LinearAttentionDims(int heads, int featureDim, int headDim, float eps) {

    public int expandedFeatureDim() {
        return 1 + featureDim + featureDim * featureDim;
    }

    /**
     * Floats of one sequence's state, [H, D, hd+1]: per head {@code S = Σ φ(k)·[v, 1]ᵀ}, whose last column is the
     * normaliser {@code z = Σ φ(k)}.
     */
    public int stateSize() {
        return heads * expandedFeatureDim() * (headDim + 1);
    }
}
