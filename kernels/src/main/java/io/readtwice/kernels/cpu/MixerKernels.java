package io.readtwice.kernels.cpu;

import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.kernels.WindowDims;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spreads the mixer kernels over the pool: one task per (sequence, head) for the attentions, per sequence and
 * row block for the convolution. Per-shape kernel objects (feature map, rotary tables) are made once.
 */
public final class MixerKernels {
    private static final int ROWS_PER_TASK = 16;
    private final Parallel parallel;
    private final Map<LinearAttentionDims, LinearAttentionKernel> linearAttention = new ConcurrentHashMap<>();
    private final Map<WindowDims, SlidingWindowKernel> slidingWindow = new ConcurrentHashMap<>();

    public MixerKernels(Parallel parallel) {
        this.parallel = parallel;
    }

    public void baseConvPrefill(float[] z, int[] seqStart, int channels, float[] conv, int kernel,
                                float[][] convState, float[] out) {
        int rows = seqStart[seqStart.length - 1];
        int[] sequenceOfRow = sequenceOfRow(seqStart);
        float[] taps = BaseConvKernel.transpose(conv, channels, kernel);
        int blocks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        parallel.forEach(blocks, b -> {
            float[] acc = new float[channels];
            for (int row = b * ROWS_PER_TASK; row < Math.min(rows, (b + 1) * ROWS_PER_TASK); row++) {
                int s = sequenceOfRow[row];
                BaseConvKernel.prefillRow(z, seqStart[s], row - seqStart[s], channels, taps, kernel, acc, out);
            }
        });
        for (int s = 0; s + 1 < seqStart.length; s++) {
            BaseConvKernel.saveState(z, seqStart[s], seqStart[s + 1] - seqStart[s], channels, kernel, convState[s]);
        }
    }

    public void baseConvStep(float[] z, int batch, int channels, float[] conv, int kernel, float[][] convState,
                             float[] out) {
        float[] taps = BaseConvKernel.transpose(conv, channels, kernel);
        parallel.forEach(batch, s -> BaseConvKernel.step(z, s, channels, taps, kernel, convState[s], out));
    }

    public void linearAttentionPrefill(LinearAttentionDims dims, float[] q, float[] k, float[] v, float[] kEnc,
                                       float[] vEnc, int[] seqStart, int[] encStart, int[] maskedKeys,
                                       float[][] state, float[] out) {
        LinearAttentionKernel kernel = linearAttention.computeIfAbsent(dims, LinearAttentionKernel::new);
        int heads = dims.heads();
        int sequences = seqStart.length - 1;
        parallel.forEach(sequences * heads, task -> {
            int s = task / heads;
            int head = task % heads;
            int encRowStart = encStart == null ? 0 : encStart[s];
            int encRows = encStart == null ? 0 : encStart[s + 1] - encStart[s];
            int masked = maskedKeys == null ? 0 : maskedKeys[s];
            kernel.prefill(head, q, k, v, seqStart[s], seqStart[s + 1] - seqStart[s], kEnc, vEnc, encRowStart,
                    encRows, masked, state[s], out);
        });
    }

    public void linearAttentionStep(LinearAttentionDims dims, float[] q, float[] k, float[] v, int batch,
                                    float kvWeight, float[][] state, float[] out) {
        LinearAttentionKernel kernel = linearAttention.computeIfAbsent(dims, LinearAttentionKernel::new);
        int heads = dims.heads();
        parallel.forEach(batch * heads, task -> {
            int s = task / heads;
            kernel.step(task % heads, q, k, v, s, kvWeight, state[s], out);
        });
    }

    public void slidingWindowPrefill(WindowDims dims, float[] qkv, int[] seqStart, float[][] keyCache,
                                     float[][] valueCache, float[] out) {
        SlidingWindowKernel kernel = slidingWindow.computeIfAbsent(dims, SlidingWindowKernel::new);
        int heads = dims.heads();
        int sequences = seqStart.length - 1;
        float[][][] angles = new float[sequences][][];
        parallel.forEach(sequences, s -> angles[s] = kernel.angles(seqStart[s + 1] - seqStart[s]));
        parallel.forEach(sequences * heads, task -> {
            int s = task / heads;
            kernel.prefill(task % heads, qkv, seqStart[s], seqStart[s + 1] - seqStart[s], angles[s], keyCache[s],
                    valueCache[s], out);
        });
    }

    public void slidingWindowStep(WindowDims dims, float[] qkv, int[] positions, float[][] keyCache,
                                  float[][] valueCache, float[] out) {
        SlidingWindowKernel kernel = slidingWindow.computeIfAbsent(dims, SlidingWindowKernel::new);
        int heads = dims.heads();
        // The rotary angles depend on the position only: once per sequence, not per head (per-head trigonometry
        // was about 45 % of this step's time at batch 8).
        float[][][] angles = new float[positions.length][][];
        for (int s = 0; s < positions.length; s++) {
            angles[s] = kernel.anglesAt(positions[s]);
        }
        parallel.forEach(positions.length * heads, task -> {
            int s = task / heads;
            kernel.step(task % heads, qkv, s, positions[s], angles[s], keyCache[s], valueCache[s], out);
        });
    }

    private static int[] sequenceOfRow(int[] seqStart) {
        int[] owner = new int[seqStart[seqStart.length - 1]];
        for (int s = 0; s + 1 < seqStart.length; s++) {
            java.util.Arrays.fill(owner, seqStart[s], seqStart[s + 1], s);
        }
        return owner;
    }
}
