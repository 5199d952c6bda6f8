package io.readtwice.model;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.WindowDims;
import io.readtwice.model.ModelWeights.SlidingWindowWeights;

import java.util.List;

/** Sliding-window attention (model-spec §5): Wqkv → rotary, windowed softmax attention → out_proj. */
final class SlidingWindowAttention implements Mixer {
    private final Backend backend;
    private final int d;
    private final WindowDims dims;
    private final Matrix wqkv;
    private final Matrix outProj;

    SlidingWindowAttention(Backend backend, ModelConfig config, SlidingWindowWeights w, WeightPrecision precision) {
        this.backend = backend;
        this.d = config.dModel();
        this.wqkv = StoredMatrix.of(backend, w.wqkv(), 3 * d, d, precision);
        this.outProj = StoredMatrix.of(backend, w.outProj(), d, d, precision);
        ModelConfig.SlidingWindowConfig c = config.slidingWindow();
        this.dims = new WindowDims(c.numHeads(), c.headDim(), c.windowBack(), c.rotaryBase());
    }

    @Override
    public MixerState newState() {
        return new MixerState.Window(new float[dims.cacheSize()], new float[dims.cacheSize()]);
    }

    @Override
    public void prefill(PackedBatch batch, float[] a, MixerState[] states, Workspace ws, float[] out) {
        int rows = batch.rows();
        float[] qkv = ws.get("window.qkv", rows * 3 * d);
        backend.linear(a, 0, rows, wqkv, null, qkv, 0);
        float[] y = ws.get("window.y", rows * d);
        backend.slidingWindowPrefill(dims, qkv, batch.seqStart(), keys(states), values(states), y);
        backend.linear(y, 0, rows, outProj, null, out, 0);
    }

    @Override
    public void step(float[] a, int[] positions, MixerState[] states, BasedDecode basedDecode, Workspace ws,
                     float[] out) {
        int batch = positions.length;
        float[] qkv = ws.get("window.qkv", batch * 3 * d);
        backend.linear(a, 0, batch, wqkv, null, qkv, 0);
        float[] y = ws.get("window.y", batch * d);
        backend.slidingWindowStep(dims, qkv, positions, keys(states), values(states), y);
        backend.linear(y, 0, batch, outProj, null, out, 0);
    }

    private static float[][] keys(MixerState[] states) {
        float[][] keys = new float[states.length][];
        for (int s = 0; s < states.length; s++) {
            keys[s] = ((MixerState.Window) states[s]).keys();
        }
        return keys;
    }

    private static float[][] values(MixerState[] states) {
        float[][] values = new float[states.length][];
        for (int s = 0; s < states.length; s++) {
            values[s] = ((MixerState.Window) states[s]).values();
        }
        return values;
    }

    @Override
    public List<Matrix> decodeMatrices() {
        return List.of(wqkv, outProj);
    }
}
