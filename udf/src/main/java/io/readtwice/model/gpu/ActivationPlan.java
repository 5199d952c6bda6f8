package io.readtwice.model.gpu;

import io.readtwice.kernels.gpu.DeviceArena;
import io.readtwice.kernels.gpu.DeviceBuffer;
import io.readtwice.kernels.gpu.DeviceMemory;
import io.readtwice.kernels.gpu.ElementType;
import io.readtwice.model.MixerKind;
import io.readtwice.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The device buffers one pass over the layers needs for {@code rows} packed tokens, sized from the model's widths
 * (letters of model-spec §2–§5: d, h = h_mlp, Vp, H·F, H·hd, C conv channels, L = windowBack + 1). The same plan
 * sizes the memory (before anything is allocated: how many prefill rows fit) and hands the buffers out, so the two
 * cannot disagree. Every buffer is at least one element and starts on {@link DeviceArena#ALIGNMENT}.
 *
 * @param rows      packed tokens of the pass (a prefill chunk, or one per sequence in a decode step)
 * @param sequences B, sequences of the batch
 * @param logitRows rows of logits the pass produces (B for last positions, {@code rows} for all)
 */
record ActivationPlan(ModelConfig config, int rows, int sequences, int logitRows) {

    /** One buffer of the plan. */
    record Spec(String name, ElementType type, long elements) {
        long bytes() {
            return DeviceArena.align(Math.max(1, elements) * type.bytes());
        }
    }

    /** The buffers of one pass. */
    record Activations(DeviceBuffer tokens, DeviceBuffer residual, DeviceBuffer normed, DeviceBuffer projected,
                       DeviceBuffer encoderKeys, DeviceBuffer encoderValues, DeviceBuffer mixed,
                       DeviceBuffer mixedBf16, DeviceBuffer gated, DeviceBuffer lastNormed, DeviceBuffer logits,
                       DeviceBuffer positions, DeviceBuffer maskedKeys, DeviceBuffer carried) {
    }

    List<Spec> specs() {
        Widths w = Widths.of(config);
        long r = rows;
        List<Spec> specs = new ArrayList<>();
        specs.add(new Spec("tokens", ElementType.I32, r));
        specs.add(new Spec("residual", ElementType.F32, r * w.d));                   // [T, d] the fp32 stream
        specs.add(new Spec("normed", ElementType.BF16, r * w.d));                    // [T, d] GEMM input
        specs.add(new Spec("projected", ElementType.F32, r * w.projected()));        // q|k|v, qkv or (u1, u2)
        specs.add(new Spec("encoderKeys", ElementType.F32, w.encoder ? r * w.keyWidth : 0));     // [Me, H·F]
        specs.add(new Spec("encoderValues", ElementType.F32, w.encoder ? r * w.valueWidth : 0)); // [Me, H·hd]
        specs.add(new Spec("mixed", ElementType.F32, r * w.mixed()));                // mixer output before out_proj
        specs.add(new Spec("mixedBf16", ElementType.BF16, r * w.mixed()));
        specs.add(new Spec("gated", ElementType.BF16, r * w.hidden));                // [T, h] u ⊙ silu(g)
        specs.add(new Spec("lastNormed", ElementType.BF16, (long) logitRows * w.d)); // rows the lm_head reads
        specs.add(new Spec("logits", ElementType.F32, (long) logitRows * w.vocab));  // [rows, Vp]
        specs.add(new Spec("positions", ElementType.I32, sequences));
        specs.add(new Spec("maskedKeys", ElementType.I32, sequences));
        specs.add(new Spec("carried", ElementType.F32, (long) sequences * w.carriedPerSequence()));
        return specs;
    }

    long bytes() {
        long total = 0;
        for (Spec s : specs()) {
            total += s.bytes();
        }
        return total;
    }

    /** Takes the plan's buffers from {@code memory}: resident (kept with it) or scratch (until released). */
    Activations allocate(DeviceMemory memory, boolean resident) {
        List<DeviceBuffer> b = new ArrayList<>();
        for (Spec s : specs()) {
            long n = Math.max(1, s.elements());
            b.add(resident ? memory.resident(s.type(), n, s.name()) : memory.scratch(s.type(), n, s.name()));
        }
        return new Activations(b.get(0), b.get(1), b.get(2), b.get(3), b.get(4), b.get(5), b.get(6), b.get(7),
                b.get(8), b.get(9), b.get(10), b.get(11), b.get(12), b.get(13));
    }

    /**
     * The most prefill rows whose plan fits {@code budget} bytes (0 when not even one does): logits for the
     * sequences' last positions, or for every row with {@code allPositions}.
     */
    static int rowsThatFit(ModelConfig config, int sequences, boolean allPositions, long budget) {
        int lo = 0;
        int hi = 1 << 24;
        while (lo < hi) {
            int mid = (int) (((long) lo + hi + 1) / 2);
            ActivationPlan plan = new ActivationPlan(config, mid, sequences, allPositions ? mid : sequences);
            if (plan.bytes() <= budget) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Row widths of the model's buffers; 0 for a mixer the model does not have. */
    record Widths(int d, int hidden, int vocab, int keyWidth, int valueWidth, int windowWidth, int windowCache,
                  int convChannels, int convState, boolean encoder) {
        static Widths of(ModelConfig c) {
            int d = c.dModel();
            ModelConfig.LinearAttentionConfig la = c.linearAttention();
            boolean attention = la != null && (c.layers().contains(MixerKind.PREFIX_LINEAR_ATTENTION)
                    || c.layers().contains(MixerKind.LINEAR_ATTENTION));
            boolean window = c.slidingWindow() != null && c.layers().contains(MixerKind.SLIDING_WINDOW_ATTENTION);
            boolean conv = c.baseConv() != null && c.layers().contains(MixerKind.BASE_CONV);
            int channels = conv ? c.baseConv().convChannels(d) : 0;
            ModelConfig.SlidingWindowConfig sw = c.slidingWindow();
            return new Widths(d, c.mlpHidden(), c.paddedVocab(),
                    attention ? la.numHeads() * la.featureDim() : 0,
                    attention ? la.numHeads() * la.headDim() : 0,
                    window ? 3 * d : 0,
                    window ? (sw.windowBack() + 1) * sw.numHeads() * sw.headDim() : 0,
                    channels,
                    conv ? c.baseConv().kernelSize() * channels : 0,
                    c.isJrt());
        }

        /** Per row, the widest projection a mixer reads: q, k, v side by side; qkv; or (u1, u2). */
        long projected() {
            return Math.max(2L * keyWidth + valueWidth, Math.max(windowWidth, 2L * convChannels));
        }

        /** Per row, the widest mixer output before out_proj. */
        long mixed() {
            return Math.max(valueWidth, Math.max(windowWidth / 3, convChannels));
        }

        /** Per sequence, the copy of one layer's carried state a chunk reads (conv tail, or both window rings). */
        long carriedPerSequence() {
            return Math.max(convState, 2L * windowCache);
        }
    }
}
