package io.readtwice.model;

import io.readtwice.kernels.Matrix;

import java.util.List;

/**
 * A layer's sequence mixer: reads the normalised activations {@code a} ([rows, d]) and writes its output
 * ([rows, d]). Prefill reads whole prompts and leaves each sequence's state; a step reads one token per sequence
 * and updates that state in place.
 */
sealed interface Mixer permits BaseConv, PrefixLinearAttention, LinearAttention, SlidingWindowAttention {

    MixerState newState();

    void prefill(PackedBatch batch, float[] a, MixerState[] states, Workspace ws, float[] out);

    /** One token per sequence; {@code positions[s]} = tokens sequence s has read before this one. */
    void step(float[] a, int[] positions, MixerState[] states, BasedDecode basedDecode, Workspace ws, float[] out);

    /** The weight matrices a decode step reads (PLA's encoder projections are read by prefill only). */
    List<Matrix> decodeMatrices();
}
