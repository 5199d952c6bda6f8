package io.readtwice.model.gpu;

import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.kernels.MatrixSource;
import io.readtwice.kernels.WindowDims;
import io.readtwice.kernels.gpu.DeviceArena;
import io.readtwice.kernels.gpu.DeviceBuffer;
import io.readtwice.kernels.gpu.SwiGluLayout;
import io.readtwice.model.ModelConfig;
import io.readtwice.model.ModelWeights;
import io.readtwice.model.ModelWeights.BaseConvWeights;
import io.readtwice.model.ModelWeights.LayerWeights;
import io.readtwice.model.ModelWeights.LinearAttentionWeights;
import io.readtwice.model.ModelWeights.PrefixLinearAttentionWeights;
import io.readtwice.model.ModelWeights.SlidingWindowWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * All weights of a model on the device, uploaded once: matrices as bf16 (what the tensor-core GEMM reads), norm
 * weights, biases and conv taps as float32. fc1 is stored with its rows in {@link SwiGluLayout} so that the GEMM
 * applies SwiGLU in its epilogue. Shapes in spec letters ([out, in], nn.Linear's order).
 *
 * @param embedding word embeddings [Vp, d], also the tied lm_head
 * @param lnF       final RMSNorm [d]
 * @param layers    one per layer, in order
 */
record ResidentWeights(DeviceBuffer embedding, DeviceBuffer lnF, List<Layer> layers) {

    /** One prenorm block: norm1, norm2 [d]; fc1 [2h, d] interleaved for SwiGLU; fc2 [d, h]. */
    record Layer(DeviceBuffer norm1, DeviceBuffer norm2, DeviceBuffer fc1, DeviceBuffer fc2, Mixer mixer) {
    }

    /** A layer's mixer weights; the record type says which mixer it is. */
    sealed interface Mixer permits Taylor, Window, Conv {
    }

    /**
     * Prefix linear attention (kEnc, vEnc given) or Based linear attention (both null): q, k, kEnc [H·F, d];
     * v, vEnc [H·hd, d]; out [d, H·hd].
     */
    record Taylor(LinearAttentionDims dims, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer kEnc,
                  DeviceBuffer vEnc, DeviceBuffer out) implements Mixer {
        boolean prefix() {
            return kEnc != null;
        }
    }

    /** Sliding-window attention: wqkv [3d, d], out [d, d]. */
    record Window(WindowDims dims, DeviceBuffer wqkv, DeviceBuffer out) implements Mixer {
    }

    /** BaseConv: in [2C, d] + inBias [2C], conv taps [C, K], out [d, C] + outBias [d]. */
    record Conv(int channels, int taps, DeviceBuffer in, DeviceBuffer inBias, DeviceBuffer conv, DeviceBuffer out,
                DeviceBuffer outBias) implements Mixer {
    }

    /** Where weights go: the device (uploading), or a counter that plans the bytes before anything is allocated. */
    interface Store {
        /** A matrix [rows, cols] as bf16; {@code swiGlu}: rows reordered by {@link SwiGluLayout} first. */
        DeviceBuffer matrix(MatrixSource source, int rows, int cols, boolean swiGlu);

        /** A float32 vector. */
        DeviceBuffer vector(float[] values);
    }

    /** Counts the bytes {@link #upload} asks for, as the arena aligns them; stores nothing. */
    static final class ByteCounter implements Store {
        private long bytes;

        @Override
        public DeviceBuffer matrix(MatrixSource source, int rows, int cols, boolean swiGlu) {
            checkShape(source, rows, cols);
            bytes += DeviceArena.align(2L * rows * cols);
            return null;
        }

        @Override
        public DeviceBuffer vector(float[] values) {
            bytes += DeviceArena.align(4L * Math.max(1, values.length));
            return null;
        }

        long bytes() {
            return bytes;
        }
    }

    static void checkShape(MatrixSource source, int rows, int cols) {
        if (source.rows() != rows || source.cols() != cols) {
            throw new IllegalArgumentException("weight matrix [" + source.rows() + ", " + source.cols()
                    + "] where the model needs [" + rows + ", " + cols + "]");
        }
    }

    /** fc1's rows in the order the SwiGLU epilogue reads them. */
    static float[] swiGluRows(MatrixSource fc1, int hidden, int d) {
        return SwiGluLayout.interleave(fc1.toArray(), hidden, d);
    }

    /** Every weight of the model into {@code store}, in one fixed order. */
    static ResidentWeights upload(ModelConfig config, ModelWeights weights, Store store) {
        int d = config.dModel();
        int hidden = config.mlpHidden();
        DeviceBuffer embedding = store.matrix(weights.embedding(), config.paddedVocab(), d, false);
        DeviceBuffer lnF = store.vector(weights.lnF());
        List<Layer> layers = new ArrayList<>(config.nLayer());
        for (LayerWeights lw : weights.layers()) {
            layers.add(new Layer(store.vector(lw.norm1()), store.vector(lw.norm2()),
                    store.matrix(lw.fc1(), 2 * hidden, d, true), store.matrix(lw.fc2(), d, hidden, false),
                    mixer(config, lw.mixer(), store)));
        }
        return new ResidentWeights(embedding, lnF, List.copyOf(layers));
    }

    private static Mixer mixer(ModelConfig config, ModelWeights.MixerWeights w, Store store) {
        int d = config.dModel();
        if (w instanceof BaseConvWeights c) {
            int channels = config.baseConv().convChannels(d);
            int taps = config.baseConv().kernelSize();
            return new Conv(channels, taps, store.matrix(c.inProj(), 2 * channels, d, false), store.vector(c.inBias()),
                    store.vector(c.conv()), store.matrix(c.outProj(), d, channels, false), store.vector(c.outBias()));
        } else if (w instanceof SlidingWindowWeights sw) {
            ModelConfig.SlidingWindowConfig c = config.slidingWindow();
            return new Window(new WindowDims(c.numHeads(), c.headDim(), c.windowBack(), c.rotaryBase()),
                    store.matrix(sw.wqkv(), 3 * d, d, false), store.matrix(sw.outProj(), d, d, false));
        }
        ModelConfig.LinearAttentionConfig c = config.linearAttention();
        LinearAttentionDims dims = new LinearAttentionDims(c.numHeads(), c.featureDim(), c.headDim(), c.eps());
        int keys = c.numHeads() * c.featureDim();
        int values = c.numHeads() * c.headDim();
        if (w instanceof PrefixLinearAttentionWeights p) {
            return new Taylor(dims, store.matrix(p.projQ(), keys, d, false), store.matrix(p.projK(), keys, d, false),
                    store.matrix(p.projV(), values, d, false), store.matrix(p.projKEnc(), keys, d, false),
                    store.matrix(p.projVEnc(), values, d, false), store.matrix(p.outProj(), d, values, false));
        }
        LinearAttentionWeights b = (LinearAttentionWeights) w;
        return new Taylor(dims, store.matrix(b.projQ(), keys, d, false), store.matrix(b.projK(), keys, d, false),
                store.matrix(b.projV(), values, d, false), null, null, store.matrix(b.outProj(), d, values, false));
    }

    /**
     * Throws unless gemm.cu can run every projection of the model: each inner dimension (d, h, H·hd, C) a multiple
     * of 8, the SwiGLU width 2h a multiple of 16 (GemmLauncher's rules, checked here once instead of mid-forward).
     */
    static void checkGemmShapes(ModelConfig config) {
        ActivationPlan.Widths w = ActivationPlan.Widths.of(config);
        int[][] inner = {{w.d(), 0}, {w.hidden(), 1}, {w.valueWidth(), 2}, {w.convChannels(), 3}};
        String[] names = {"d_model", "the MLP hidden size", "H·hd", "the conv channels"};
        for (int[] k : inner) {
            if (k[0] % 8 != 0) {
                throw new IllegalArgumentException("the device-resident GPU model needs " + names[k[1]]
                        + " to be a multiple of 8 (tensor-core GEMM rows), got " + k[0]);
            }
        }
        if ((2 * w.hidden()) % 16 != 0) {
            throw new IllegalArgumentException("SwiGLU GEMM needs 2·h % 16 == 0, got h = " + w.hidden());
        }
    }
}
