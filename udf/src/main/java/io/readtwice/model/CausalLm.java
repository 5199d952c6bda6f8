package io.readtwice.model;

import io.readtwice.kernels.WeightPrecision;

import java.util.List;

/**
 * What generation needs from a language model: read whole prompts, then one recurrent step at a time. Two
 * implementations: {@link LanguageModel} (the engine behind the {@link io.readtwice.kernels.Backend} seam, host
 * arrays between operations) and {@code gpu.DeviceLanguageModel} (weights, activations and recurrent state resident
 * on the GPU; only logits come back). Both keep the same results contract, so {@code Generator} and
 * {@code Answerer} run either.
 *
 * @param <S> the model's per-sequence recurrent state: host arrays, or a handle to device memory
 */
public interface CausalLm<S extends CausalLm.Sequence> {

    /** One sequence's place in the model: the state itself is the model's business. */
    interface Sequence {
        /** Tokens read so far (prompt, padding included, plus decoded tokens): the next token's position. */
        int position();
    }

    /**
     * The result of a prefill.
     *
     * @param <S> the model's state type
     */
    interface Prefill<S> {
        /** One state per sequence, in prompt order, ready for {@link CausalLm#step}. */
        List<S> states();

        /** [B, Vp] logits at each sequence's last position, or [T, Vp] for every packed position when asked. */
        float[] logits();
    }

    ModelConfig config();

    /** How the weight matrices are stored (a GPU model: bf16 whatever was asked). */
    WeightPrecision precision();

    /** The most tokens one prefill call should pack (the batch budget); {@link Integer#MAX_VALUE}: no bound. */
    int tokenLimit();

    /**
     * Reads whole prompts (model-spec §2).
     *
     * @param sequences    the tokens each sequence is fed (JRT padding already applied), none empty
     * @param maskedKeys   per sequence, leading positions that are left pads to mask as PLA keys (§4.3); null: none
     * @param allPositions logits for every position instead of only the last of each sequence
     */
    Prefill<S> prefill(List<int[]> sequences, int[] maskedKeys, boolean allPositions);

    /**
     * One recurrent decode step: feeds {@code tokens[s]} to {@code states.get(s)} and returns the next logits,
     * [B, Vp]. The states are updated in place.
     */
    float[] step(List<S> states, int[] tokens, BasedDecode basedDecode);

    /**
     * Gives back what {@code states} hold once no further step will use them (device memory for a GPU model;
     * nothing to do on the host). Using a released state afterwards is an error.
     */
    default void release(List<S> states) {
    }
}
