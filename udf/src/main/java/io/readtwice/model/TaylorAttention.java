package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WeightPrecision;

import java.util.List;

/**
 * What JRT-RNN's prefix linear attention and Based's linear attention share (model-spec §4, §10): the q, k, v
 * projections, the Taylor linear-attention kernels with their state (S, z), and out_proj. PLA adds the encoder.
 */
final class TaylorAttention {
    private final Backend backend;
    private final int d;
    private final LinearAttentionDims dims;
    private final Matrix projQ;
    private final Matrix projK;
    private final Matrix projV;
    private final Matrix outProj;

    TaylorAttention(Backend backend, ModelConfig config, MatrixSource projQ, MatrixSource projK,
                    MatrixSource projV, MatrixSource outProj, WeightPrecision precision) {
        this.backend = backend;
        this.d = config.dModel();
        ModelConfig.LinearAttentionConfig c = config.linearAttention();
        this.dims = new LinearAttentionDims(c.numHeads(), c.featureDim(), c.headDim(), c.eps());
        this.projQ = StoredMatrix.of(backend, projQ, keyWidth(), d, precision);
        this.projK = StoredMatrix.of(backend, projK, keyWidth(), d, precision);
        this.projV = StoredMatrix.of(backend, projV, valueWidth(), d, precision);
        this.outProj = StoredMatrix.of(backend, outProj, d, valueWidth(), precision);
    }

    /** q, k, v and out_proj: what a decode step reads. */
    List<Matrix> matrices() {
        return List.of(projQ, projK, projV, outProj);
    }

    /** H·F: width of a row of q, k and k_enc. */
    int keyWidth() {
        return dims.heads() * dims.featureDim();
    }

    /** H·hd: width of a row of v and v_enc. */
    int valueWidth() {
        return dims.heads() * dims.headDim();
    }

    MixerState newState() {
        return new MixerState.LinearAttention(new float[dims.stateSize()]);
    }

    /** Prefill; kEnc, vEnc, encStart and maskedKeys are PLA's encoder inputs, all null for Based. */
    void prefill(PackedBatch batch, float[] a, float[] kEnc, float[] vEnc, int[] encStart, int[] maskedKeys,
                 MixerState[] states, Workspace ws, float[] out) {
        int rows = batch.rows();
        float[][] qkv = project(a, rows, ws);
        float[] y = ws.get("taylor.y", rows * valueWidth());
        backend.linearAttentionPrefill(dims, qkv[0], qkv[1], qkv[2], kEnc, vEnc, batch.seqStart(), encStart,
                maskedKeys, states(states), y);
        backend.linear(y, 0, rows, outProj, null, out, 0);
    }

    /** One decode step; each generated key enters the numerator with weight kvWeight. */
    void step(float[] a, int batch, float kvWeight, MixerState[] states, Workspace ws, float[] out) {
        float[][] qkv = project(a, batch, ws);
        float[] y = ws.get("taylor.y", batch * valueWidth());
        backend.linearAttentionStep(dims, qkv[0], qkv[1], qkv[2], batch, kvWeight, states(states), y);
        backend.linear(y, 0, batch, outProj, null, out, 0);
    }

    private float[][] project(float[] a, int rows, Workspace ws) {
        float[] q = ws.get("taylor.q", rows * keyWidth());
        float[] k = ws.get("taylor.k", rows * keyWidth());
        float[] v = ws.get("taylor.v", rows * valueWidth());
        backend.linear(a, 0, rows, projQ, null, q, 0);
        backend.linear(a, 0, rows, projK, null, k, 0);
        backend.linear(a, 0, rows, projV, null, v, 0);
        return new float[][] {q, k, v};
    }

    private static float[][] states(MixerState[] states) {
        float[][] arrays = new float[states.length][];
        for (int s = 0; s < states.length; s++) {
            arrays[s] = ((MixerState.LinearAttention) states[s]).state();
        }
        return arrays;
    }
}
