package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.ModelWeights.PrefixLinearAttentionWeights;

import java.util.List;

/**
 * JRT-RNN's prefix linear attention (model-spec §4): the first Me = min(M, T) prompt tokens are also read through
 * their own projections k_enc, v_enc, non-causally, into the state that the causal decoder part starts from.
 * After prefill the encoder is frozen; decoding is the plain linear-attention recurrence.
 */
final class PrefixLinearAttention implements Mixer {
    private final Backend backend;
    private final Matrix projKEnc;
    private final Matrix projVEnc;
    private final TaylorAttention attention;
    private final int d;
    private final int encLength;
    private final boolean useMask;

    PrefixLinearAttention(Backend backend, ModelConfig config, PrefixLinearAttentionWeights w,
                          WeightPrecision precision) {
        this.backend = backend;
        this.attention = new TaylorAttention(backend, config, w.projQ(), w.projK(), w.projV(), w.outProj(),
                precision);
        this.d = config.dModel();
        this.projKEnc = StoredMatrix.of(backend, w.projKEnc(), attention.keyWidth(), d, precision);
        this.projVEnc = StoredMatrix.of(backend, w.projVEnc(), attention.valueWidth(), d, precision);
        this.encLength = config.linearAttention().encLength();
        this.useMask = config.linearAttention().useMask();
    }

    @Override
    public MixerState newState() {
        return attention.newState();
    }

    @Override
    public void prefill(PackedBatch batch, float[] a, MixerState[] states, Workspace ws, float[] out) {
        // Encoder projections only for each sequence's first Me = min(M, T) rows (§4.2).
        int rows = batch.rows();
        int keyWidth = attention.keyWidth();
        int valueWidth = attention.valueWidth();
        int sequences = batch.sequences();
        int[] encStart = new int[sequences + 1];
        for (int s = 0; s < sequences; s++) {
            encStart[s + 1] = encStart[s] + Math.min(encLength, batch.length(s));
        }
        float[] kEnc = ws.get("pla.kEnc", encStart[sequences] * keyWidth);
        float[] vEnc = ws.get("pla.vEnc", encStart[sequences] * valueWidth);
        if (encStart[sequences] == rows) {
            backend.linear(a, 0, rows, projKEnc, null, kEnc, 0);
            backend.linear(a, 0, rows, projVEnc, null, vEnc, 0);
        } else {
            for (int s = 0; s < sequences; s++) {
                int encRows = encStart[s + 1] - encStart[s];
                int from = batch.seqStart()[s] * d;
                backend.linear(a, from, encRows, projKEnc, null, kEnc, encStart[s] * keyWidth);
                backend.linear(a, from, encRows, projVEnc, null, vEnc, encStart[s] * valueWidth);
            }
        }
        attention.prefill(batch, a, kEnc, vEnc, encStart, maskedKeys(batch), states, ws, out);
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

    /** Decoding never touches the encoder again: a plain linear-attention step on the frozen state (§4.5). */
    @Override
    public void step(float[] a, int[] positions, MixerState[] states, BasedDecode basedDecode, Workspace ws,
                     float[] out) {
        attention.step(a, positions.length, 1f, states, ws, out);
    }

    @Override
    public List<Matrix> decodeMatrices() {
        return attention.matrices();
    }
}
