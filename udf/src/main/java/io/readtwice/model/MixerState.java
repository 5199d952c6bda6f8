package io.readtwice.model;

/** The recurrent state one mixer layer keeps for one sequence between prefill and decode steps. */
public sealed interface MixerState permits MixerState.Conv, MixerState.LinearAttention, MixerState.Window {

    /** BaseConv: the last K pre-conv inputs, [K, channels] (model-spec §3). */
    record Conv(float[] tail) implements MixerState {
    }

    /**
     * PLA and Based: per head S = Σ φ(k)vᵀ with the normaliser z = Σ φ(k) as an extra column, [H, D, hd+1]
     * (model-spec §4.5, §10.4).
     */
    record LinearAttention(float[] state) implements MixerState {
    }

    /** Sliding-window attention: ring buffers of the last window rotated keys and values (model-spec §5). */
    record Window(float[] keys, float[] values) implements MixerState {
    }
}
