package io.readtwice.model;

/** The four sequence mixers of the released JRT-RNN and Based models (model-spec §3, §4, §5, §10). */
public enum MixerKind {
    /** Short gated depthwise convolution (spec §3); every layer not named in the two alt-mixer lists. */
    BASE_CONV,
    /** JRT-RNN's prefix linear attention: a non-causal encoder prefix plus a causal decoder (spec §4). */
    PREFIX_LINEAR_ATTENTION,
    /** Based's causal Taylor linear attention (spec §10). */
    LINEAR_ATTENTION,
    /** Softmax attention over a local window with rotary positions (spec §5). */
    SLIDING_WINDOW_ATTENTION
}
