package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.ModelWeights.LinearAttentionWeights;

import java.util.List;

/** Based's causal Taylor linear attention (model-spec §10.3–10.4). */
final class LinearAttention implements Mixer {
    private final TaylorAttention attention;

    LinearAttention(Backend backend, ModelConfig config, LinearAttentionWeights w, WeightPrecision precision) {
        this.attention = new TaylorAttention(backend, config, w.projQ(), w.projK(), w.projV(), w.outProj(),
                precision);
    }

    @Override
    public MixerState newState() {
        return attention.newState();
    }

    @Override
    public void prefill(PackedBatch batch, float[] a, MixerState[] states, Workspace ws, float[] out) {
        attention.prefill(batch, a, null, null, null, null, states, ws, out);
    }

    @Override
    public void step(float[] a, int[] positions, MixerState[] states, BasedDecode basedDecode, Workspace ws,
                     float[] out) {
        // The reference harness adds each generated token's φ(k)vᵀ twice (model-spec §10.4).
        float kvWeight = basedDecode == BasedDecode.REFERENCE ? 2f : 1f;
        attention.step(a, positions.length, kvWeight, states, ws, out);
    }

    @Override
    public List<Matrix> decodeMatrices() {
        return attention.matrices();
    }
}
