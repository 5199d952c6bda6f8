package io.readtwice.model;

/**
 * Everything the model remembers about one sequence: a fixed-size state per layer (constant memory, whatever the
 * length) and the number of tokens read so far, which is the next token's rotary position.
 */
public final class SequenceState implements CausalLm.Sequence {
    private final MixerState[] layers;
    private int position;

    SequenceState(MixerState[] layers) {
        this.layers = layers;
    }

    MixerState layer(int i) {
        return layers[i];
    }

    /** Tokens read so far (prompt, padding included, plus decoded tokens). */
    @Override
    public int position() {
        return position;
    }

    void advance(int tokens) {
        position += tokens;
    }
}
