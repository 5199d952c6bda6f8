package io.readtwice.generate;

/** How a JRT-RNN prompt shorter than the encoder length M is fed (model-spec §6.2, §4.3). */
public enum JrtPadding {
    /**
     * The reference harness: left-pad with token 220 to exactly M and mask the pads as PLA keys
     * (imperfectly, as the reference does: a masked key still adds φ(0) = e₀).
     */
    LEFT,
    /** Feed the prompt as is: the encoder is the whole prompt and stays frozen during decoding. */
    NONE
}
