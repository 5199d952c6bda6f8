package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.model.ModelWeights.BaseConvWeights;

import java.util.List;

/** BaseConv (model-spec §3): in_proj → (u1, u2); silu(causal conv(u1)) ⊙ u2 → out_proj. */
final class BaseConv implements Mixer {
    private final Backend backend;
    private final int d;
    private final int channels;
    private final int kernel;
    private final Matrix inProj;
    private final float[] inBias;
    private final float[] conv;
    private final Matrix outProj;
    private final float[] outBias;

    BaseConv(Backend backend, ModelConfig config, BaseConvWeights w, WeightPrecision precision) {
        this.backend = backend;
        this.d = config.dModel();
        this.channels = config.baseConv().convChannels(d);
        this.kernel = config.baseConv().kernelSize();
        this.inProj = StoredMatrix.of(backend, w.inProj(), 2 * channels, d, precision);
        this.inBias = w.inBias();
        this.conv = w.conv();
        this.outProj = StoredMatrix.of(backend, w.outProj(), d, channels, precision);
        this.outBias = w.outBias();
    }

    @Override
    public MixerState newState() {
        return new MixerState.Conv(new float[kernel * channels]);
    }

    @Override
    public void prefill(PackedBatch batch, float[] a, MixerState[] states, Workspace ws, float[] out) {
        int rows = batch.rows();
        float[] z = ws.get("conv.z", rows * 2 * channels);
        backend.linear(a, 0, rows, inProj, inBias, z, 0);
        float[] gated = ws.get("conv.gated", rows * channels);
        backend.baseConvPrefill(z, batch.seqStart(), channels, conv, kernel, tails(states), gated);
        backend.linear(gated, 0, rows, outProj, outBias, out, 0);
    }

    @Override
    public void step(float[] a, int[] positions, MixerState[] states, BasedDecode basedDecode, Workspace ws,
                     float[] out) {
        int batch = positions.length;
        float[] z = ws.get("conv.z", batch * 2 * channels);
        backend.linear(a, 0, batch, inProj, inBias, z, 0);
        float[] gated = ws.get("conv.gated", batch * channels);
        backend.baseConvStep(z, batch, channels, conv, kernel, tails(states), gated);
        backend.linear(gated, 0, batch, outProj, outBias, out, 0);
    }

    private static float[][] tails(MixerState[] states) {
        float[][] tails = new float[states.length][];
        for (int s = 0; s < states.length; s++) {
            tails[s] = ((MixerState.Conv) states[s]).tail();
        }
        return tails;
    }

    @Override
    public List<Matrix> decodeMatrices() {
        return List.of(inProj, outProj);
    }
}
