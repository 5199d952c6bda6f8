package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.model.ModelWeights.PrefixLinearAttentionWeights;

/**
 * JRT-RNN's prefix linear attention (model-spec §4): the first Me = min(M, T) prompt tokens are also read through
 * their own projections k_enc, v_enc, non-causally, into the state that the causal decoder part starts from.
 * After prefill the encoder is frozen; decoding is the plain linear-attention recurrence.
 */
final class PrefixLinearAttention implements Mixer {
    private final Backend backend;
    private final PrefixLinearAttentionWeights w;
    private final int d;
    private final int encLength;
    private final boolean useMask;
    private final LinearAttentionDims dims;

    PrefixLinearAttention(Backend backend, ModelConfig config, PrefixLinearAttentionWeights w) {
        this.backend = backend;
        this.w = w;
        this.d = config.dModel();
        this.encLength = config.linearAttention().encLength();
        this.useMask = config.linearAttention().useMask();
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

        // Encoder projections only for each sequence's first Me rows (§4.2).
        int sequences = batch.sequences();
        int[] encStart = new int[sequences + 1];
        for (int s = 0; s < sequences; s++) {
            encStart[s + 1] = encStart[s] + Math.min(encLength, batch.length(s));
        }
        float[] kEnc = new float[encStart[sequences] * keyWidth];
        float[] vEnc = new float[encStart[sequences] * valueWidth];
        if (encStart[sequences] == rows) {
            backend.linear(a, 0, rows, d, w.projKEnc(), keyWidth, null, kEnc, 0);
            backend.linear(a, 0, rows, d, w.projVEnc(), valueWidth, null, vEnc, 0);
        } else {
            for (int s = 0; s < sequences; s++) {
                int encRows = encStart[s + 1] - encStart[s];
                int from = batch.seqStart()[s] * d;
                backend.linear(a, from, encRows, d, w.projKEnc(), keyWidth, null, kEnc, encStart[s] * keyWidth);
                backend.linear(a, from, encRows, d, w.projVEnc(), valueWidth, null, vEnc, encStart[s] * valueWidth);
            }
        }

        float[] y = new float[rows * valueWidth];
        backend.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, batch.seqStart(), encStart, maskedKeys(batch),
                LinearAttentionState.kv(states), LinearAttentionState.keySum(states), y);
        backend.linear(y, 0, rows, valueWidth, w.outProj(), d, null, out, 0);
    }

    /**
     * The reference masks pad keys only when use_mask is set, the call has more than one token and the mask is no
     * longer than the encoder (§4.3); in practice: a prompt left-padded to exactly M.
     */
    private int[] maskedKeys(PackedBatch batch) {
        int[] masked = new int[batch.sequences()];
        for (int s = 0; s < masked.length; s++) {
            int length = batch.length(s);
            boolean applies = useMask && length > 1 && length <= encLength;
            masked[s] = applies ? batch.maskedKeys()[s] : 0;
        }
        return masked;
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
        float[] y = new float[batch * valueWidth];
        backend.linearAttentionStep(dims, q, k, v, batch, 1f, LinearAttentionState.kv(states),
                LinearAttentionState.keySum(states), y);
        backend.linear(y, 0, batch, valueWidth, w.outProj(), d, null, out, 0);
    }
}
