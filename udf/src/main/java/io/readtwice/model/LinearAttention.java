package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.model.ModelWeights.LinearAttentionWeights;

/** Based's causal Taylor linear attention (model-spec §10.3–10.4). */
final class LinearAttention implements Mixer {
    private final Backend backend;
    private final LinearAttentionWeights w;
    private final int d;
    private final LinearAttentionDims dims;

    LinearAttention(Backend backend, ModelConfig config, LinearAttentionWeights w) {
        this.backend = backend;
        this.w = w;
        this.d = config.dModel();
        this.dims = LinearAttentionState.dims(config);
    }

    @Override
    public MixerState newState() {
        return LinearAttentionState.create(dims);
    }

    @Override
    public void prefill(PackedBatch batch, float[] a, MixerState[] states, float[] out) {
        int rows = batch.rows();
        int keyWidth = dims.heads() * dims.featureDim();
        int valueWidth = dims.heads() * dims.headDim();
        float[] q = new float[rows * keyWidth];
        float[] k = new float[rows * keyWidth];
        float[] v = new float[rows * valueWidth];
        backend.linear(a, 0, rows, d, w.projQ(), keyWidth, null, q, 0);
        backend.linear(a, 0, rows, d, w.projK(), keyWidth, null, k, 0);
        backend.linear(a, 0, rows, d, w.projV(), valueWidth, null, v, 0);
        float[] y = new float[rows * valueWidth];
        backend.linearAttentionPrefill(dims, q, k, v, null, null, batch.seqStart(), null, null,
                LinearAttentionState.kv(states), LinearAttentionState.keySum(states), y);
        backend.linear(y, 0, rows, valueWidth, w.outProj(), d, null, out, 0);
    }

    @Override
    public void step(float[] a, int[] positions, MixerState[] states, BasedDecode basedDecode, float[] out) {
        int batch = positions.length;
        int keyWidth = dims.heads() * dims.featureDim();
        int valueWidth = dims.heads() * dims.headDim();
        float[] q = new float[batch * keyWidth];
        float[] k = new float[batch * keyWidth];
        float[] v = new float[batch * valueWidth];
        backend.linear(a, 0, batch, d, w.projQ(), keyWidth, null, q, 0);
        backend.linear(a, 0, batch, d, w.projK(), keyWidth, null, k, 0);
        backend.linear(a, 0, batch, d, w.projV(), valueWidth, null, v, 0);
        // The reference harness adds each generated token's φ(k)vᵀ twice (model-spec §10.4).
        float kvWeight = basedDecode == BasedDecode.REFERENCE ? 2f : 1f;
        float[] y = new float[batch * valueWidth];
        backend.linearAttentionStep(dims, q, k, v, batch, kvWeight, LinearAttentionState.kv(states),
                LinearAttentionState.keySum(states), y);
        backend.linear(y, 0, batch, valueWidth, w.outProj(), d, null, out, 0);
    }
}
