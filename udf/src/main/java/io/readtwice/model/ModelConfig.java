package io.readtwice.model;

import java.util.List;

/**
 * Every hyperparameter the forward pass needs, resolved once from a checkpoint's {@code config.json}
 * (model-spec §1.2, §10.1). Dimension letters as in the spec: d = d_model, H = heads, F = feature dim,
 * hd = head dim, Vp = padded vocabulary.
 *
 * @param vocabSize      tokenizer vocabulary (50257 for the released models)
 * @param paddedVocab    Vp: rows of the embedding and logits, vocabSize rounded up to pad_vocab_size_multiple
 * @param dModel         d
 * @param mlpHidden      h_mlp = ceil(n_inner/256)·256; fc1 has 2·h_mlp rows, value half first
 * @param normEps        RMSNorm epsilon (layer_norm_epsilon)
 * @param layers         mixer kind of every layer, in order
 * @param baseConv       BaseConv settings, or null when no layer uses it
 * @param linearAttention PLA or Based linear-attention settings, or null when no layer uses them
 * @param slidingWindow  sliding-window attention settings, or null when no layer uses it
 */
public record ModelConfig(
        int vocabSize,
        int paddedVocab,
        int dModel,
        int mlpHidden,
        float normEps,
        List<MixerKind> layers,
        BaseConvConfig baseConv,
        LinearAttentionConfig linearAttention,
        SlidingWindowConfig slidingWindow) {

    public int nLayer() {
        return layers.size();
    }

    /** True when the model has prefix linear attention layers, i.e. is a JRT-RNN. */
    public boolean isJrt() {
        return layers.contains(MixerKind.PREFIX_LINEAR_ATTENTION);
    }

    /** BaseConv (spec §3): in_proj [expand·d/2·2, d]; the conv runs over dInner = expand·d/2 channels. */
    public record BaseConvConfig(int expandProj, int kernelSize) {
        /** Channels of the convolution (2d for expand_proj 4). */
        public int convChannels(int dModel) {
            return expandProj * dModel / 2;
        }
    }

    /**
     * Linear attention with the Taylor feature map (spec §4, §10), shared by PLA and Based.
     *
     * @param numHeads   H
     * @param featureDim F (16); the expanded feature dim is D = 1 + F + F²
     * @param headDim    hd = d / H
     * @param encLength  M: the prefix read non-causally by PLA (0 for Based)
     * @param useMask    PLA masks left-pad keys during prefill (spec §4.3)
     * @param eps        added to the normaliser (1e-12)
     */
    public record LinearAttentionConfig(int numHeads, int featureDim, int headDim, int encLength, boolean useMask,
                                        float eps) {
        public int expandedFeatureDim() {
            return 1 + featureDim + featureDim * featureDim;
        }
    }

    /**
     * Sliding-window attention (spec §5).
     *
     * @param numHeads    H (n_head)
     * @param headDim     hd = d / H
     * @param windowBack  keys looked back: window_size / 2 (flash-attn window (window_size//2, 0)); a query sees
     *                    windowBack + 1 keys including itself
     * @param rotaryBase  10000
     */
    public record SlidingWindowConfig(int numHeads, int headDim, int windowBack, float rotaryBase) {
    }
}
