package io.readtwice.bench;

import io.readtwice.model.MixerKind;
import io.readtwice.model.ModelConfig;

/**
 * Useful work of a forward pass: 2·in·out FLOPs per token for every projection (the mixers' own arithmetic is a
 * few percent and not counted), as in ../shared/docs/cpu-performance.md §2.
 */
final class LinearFlops {
    private LinearFlops() {
    }

    /** Projection FLOPs of one token; {@code inEncoder}: PLA's k_enc and v_enc also run (the first M tokens). */
    static double perToken(ModelConfig c, boolean inEncoder) {
        long d = c.dModel();
        double flops = 0;
        for (MixerKind kind : c.layers()) {
            flops += 2.0 * d * 2 * c.mlpHidden() + 2.0 * c.mlpHidden() * d;
            switch (kind) {
                case BASE_CONV -> {
                    long channels = c.baseConv().convChannels(c.dModel());
                    flops += 2.0 * d * 2 * channels + 2.0 * channels * d;
                }
                case PREFIX_LINEAR_ATTENTION, LINEAR_ATTENTION -> {
                    long keys = (long) c.linearAttention().numHeads() * c.linearAttention().featureDim();
                    long values = (long) c.linearAttention().numHeads() * c.linearAttention().headDim();
                    flops += 2.0 * d * (2 * keys + values) + 2.0 * values * d;
                    if (kind == MixerKind.PREFIX_LINEAR_ATTENTION && inEncoder) {
                        flops += 2.0 * d * (keys + values);
                    }
                }
                case SLIDING_WINDOW_ATTENTION -> flops += 2.0 * d * 3 * d + 2.0 * d * d;
            }
        }
        return flops;
    }

    /** The tied lm_head for one row of logits. */
    static double logitsRow(ModelConfig c) {
        return 2.0 * c.dModel() * c.paddedVocab();
    }

    /** Prefill of B prompts of T tokens: every token's projections plus one logits row per prompt. */
    static double prefill(ModelConfig c, int promptTokens, int batch) {
        int encoder = c.isJrt() ? Math.min(promptTokens, c.linearAttention().encLength()) : 0;
        double perPrompt = encoder * perToken(c, true) + (promptTokens - encoder) * perToken(c, false);
        return batch * (perPrompt + logitsRow(c));
    }
}
