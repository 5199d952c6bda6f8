package io.readtwice.kernels.gpu;

import io.readtwice.kernels.LinearAttentionDims;
import jcuda.driver.CUstream;

import java.util.List;

/**
 * Launches {@code linear_attention.cu}: Taylor linear attention prefill (JRT-RNN's prefix form with an encoder, or
 * Based's plain causal form) and its decode step. Same arguments and layouts as
 * {@link io.readtwice.kernels.Backend#linearAttentionPrefill} and {@code linearAttentionStep}, with device buffers;
 * the state is one buffer {@code [sequences, H, D, hd+1]} float32.
 */
public final class LinearAttentionGpu {
    static final String MODULE = "linear_attention";
    static final String PREFILL = "linear_attention_prefill";
    static final String STEP = "linear_attention_step";
    static final List<String> KERNELS = List.of(PREFILL + "_f32", PREFILL + "_bf16", STEP + "_f32", STEP + "_bf16");
    /** Tokens per chunk; a chunk's scores fit the kernel's 16-row register tiles (4 of them). */
    static final int CHUNK = 64;
    static final int PREFILL_THREADS = 256;
    /** Decode: thread groups per (sequence, head), each walking every 4th feature row of the state. */
    static final int STEP_GROUPS = 4;
    /** The kernel keeps F-wide rows in shared memory and loops over F² pairs; the models use 16. */
    static final int MAX_FEATURE_DIM = 32;

    private final CudaContext context;
    private final KernelModule module;
    private final CUstream stream;

    /** Launches on the default stream. */
    public LinearAttentionGpu(CudaContext context) {
        this(context, null);
    }

    /** Launches on {@code stream} (null: the default stream), e.g. one being captured into a CUDA graph. */
    public LinearAttentionGpu(CudaContext context, CUstream stream) {
        this.context = context;
        this.module = context.module(MODULE);
        this.stream = stream;
    }

    /**
     * Prefill of a packed batch.
     *
     * @param kEnc       encoder keys {@code [encRows, H·F]}, null without an encoder (Based)
     * @param vEnc       encoder values {@code [encRows, H·hd]}, null without an encoder
     * @param encoder    row ranges of kEnc/vEnc per sequence, null without an encoder
     * @param maskedKeys int32 {@code [sequences]}: leading masked key positions (model-spec §4.3), or null
     * @param state      float32 {@code [sequences, H, D, hd+1]}, overwritten with each sequence's final state
     */
    public void prefill(LinearAttentionDims dims, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer kEnc,
                        DeviceBuffer vEnc, PackedSequences sequences, PackedSequences encoder,
                        DeviceBuffer maskedKeys, DeviceBuffer state, DeviceBuffer out) {
        prefill(dims, q, k, v, kEnc, vEnc, sequences, encoder, maskedKeys, state, out, false);
    }

    /**
     * Prefill of one chunk of a longer prompt: with {@code fromState} each (sequence, head) starts from the S and z
     * already in {@code state} (what the previous chunk left) instead of zero, so that reading a prompt in
     * {@link PrefillChunkPlan} chunks equals reading it at once. Masked keys count from the chunk's first row.
     */
    public void prefill(LinearAttentionDims dims, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, DeviceBuffer kEnc,
                        DeviceBuffer vEnc, PackedSequences sequences, PackedSequences encoder,
                        DeviceBuffer maskedKeys, DeviceBuffer state, DeviceBuffer out, boolean fromState) {
        checkDims(PREFILL, dims);
        ElementType type = ArgumentChecks.activationType(PREFILL, "q", q);
        long rows = sequences.rows();
        int s = sequences.sequences();
        long keyWidth = (long) dims.heads() * dims.featureDim();
        long valueWidth = (long) dims.heads() * dims.headDim();
        ArgumentChecks.holds(PREFILL, "q", q, type, rows * keyWidth, "[rows, H·F]");
        ArgumentChecks.holds(PREFILL, "k", k, type, rows * keyWidth, "[rows, H·F]");
        ArgumentChecks.holds(PREFILL, "v", v, type, rows * valueWidth, "[rows, H·hd]");
        ArgumentChecks.holds(PREFILL, "out", out, type, rows * valueWidth, "[rows, H·hd]");
        if ((kEnc == null) != (encoder == null) || (vEnc == null) != (encoder == null)) {
            throw new IllegalArgumentException(PREFILL + ": kEnc, vEnc and encoder ranges come together (got kEnc "
                    + (kEnc != null) + ", vEnc " + (vEnc != null) + ", encoder " + (encoder != null) + ")");
        }
        if (encoder != null) {
            if (encoder.sequences() != s) {
                throw new IllegalArgumentException(PREFILL + ": encoder has " + encoder.sequences()
                        + " sequences, the batch " + s);
            }
            ArgumentChecks.holds(PREFILL, "kEnc", kEnc, type, encoder.rows() * keyWidth, "[encRows, H·F]");
            ArgumentChecks.holds(PREFILL, "vEnc", vEnc, type, encoder.rows() * valueWidth, "[encRows, H·hd]");
        }
        if (maskedKeys != null) {
            ArgumentChecks.holds(PREFILL, "maskedKeys", maskedKeys, ElementType.I32, s, "[sequences]");
        }
        ArgumentChecks.holds(PREFILL, "state", state, ElementType.F32, (long) s * dims.stateSize(),
                "[sequences, H, D, hd+1]");
        int chunk = CHUNK;
        while (prefillSharedBytes(dims, chunk) > context.maxSharedBytesPerBlock() && chunk > 16) {
            chunk /= 2;  // hd = 112 on an 163 KiB A100: 32-token chunks
        }
        KernelArgs args = new KernelArgs().buffer(q).buffer(k).buffer(v).bufferOrNull(kEnc).bufferOrNull(vEnc)
                .buffer(sequences.device()).bufferOrNull(encoder == null ? null : encoder.device())
                .bufferOrNull(maskedKeys).buffer(state).buffer(out)
                .i32(dims.heads()).i32(dims.featureDim()).i32(dims.headDim()).i32(chunk).f32(dims.eps())
                .i32(fromState ? 1 : 0);
        module.kernel(PREFILL + type.kernelSuffix()).launch(
                LaunchShape.grid(dims.heads(), s, PREFILL_THREADS, prefillSharedBytes(dims, chunk)), args, stream);
    }

    /**
     * One decode step, one row per sequence: {@code S += kvWeight·φ(k)vᵀ; z += φ(k); y = φ(q)ᵀS / (φ(q)·z + eps)}.
     *
     * @param state float32 {@code [batch, H, D, hd+1]}, updated in place
     */
    public void step(LinearAttentionDims dims, DeviceBuffer q, DeviceBuffer k, DeviceBuffer v, int batch,
                     float kvWeight, DeviceBuffer state, DeviceBuffer out) {
        checkDims(STEP, dims);
        ArgumentChecks.positive(STEP, "batch", batch);
        ElementType type = ArgumentChecks.activationType(STEP, "q", q);
        long keyWidth = (long) dims.heads() * dims.featureDim();
        long valueWidth = (long) dims.heads() * dims.headDim();
        ArgumentChecks.holds(STEP, "q", q, type, batch * keyWidth, "[batch, H·F]");
        ArgumentChecks.holds(STEP, "k", k, type, batch * keyWidth, "[batch, H·F]");
        ArgumentChecks.holds(STEP, "v", v, type, batch * valueWidth, "[batch, H·hd]");
        ArgumentChecks.holds(STEP, "out", out, type, batch * valueWidth, "[batch, H·hd]");
        ArgumentChecks.holds(STEP, "state", state, ElementType.F32, (long) batch * dims.stateSize(),
                "[batch, H, D, hd+1]");
        int width = dims.headDim() + 1;
        int threads = Math.min(LaunchShape.MAX_BLOCK / width * width, STEP_GROUPS * width);
        int block = ArgumentChecks.ceilDiv(threads, 32) * 32;
        int groups = block / width;
        int shared = 4 * (2 * dims.featureDim() + width + groups * width);
        KernelArgs args = new KernelArgs().buffer(q).buffer(k).buffer(v).buffer(state).buffer(out)
                .i32(dims.heads()).i32(dims.featureDim()).i32(dims.headDim()).f32(kvWeight).f32(dims.eps());
        module.kernel(STEP + type.kernelSuffix()).launch(LaunchShape.grid(dims.heads(), batch, block, shared), args,
                stream);
    }

    /** Shared memory of one prefill block: the state [D, W], queries and keys [C, F], values and sums [C, W], scores. */
    static int prefillSharedBytes(LinearAttentionDims dims, int chunk) {
        long w = dims.headDim() + 1L;
        long floats = dims.expandedFeatureDim() * w + 2L * chunk * dims.featureDim() + 2L * chunk * w
                + (long) chunk * chunk;
        return Math.toIntExact(4 * floats);
    }

    private static void checkDims(String kernel, LinearAttentionDims dims) {
        ArgumentChecks.positive(kernel, "heads", dims.heads());
        ArgumentChecks.positive(kernel, "featureDim", dims.featureDim());
        ArgumentChecks.positive(kernel, "headDim", dims.headDim());
        ArgumentChecks.atMost(kernel, "featureDim", dims.featureDim(), MAX_FEATURE_DIM, "the Taylor map is built per "
                + "thread from F raw numbers");
        ArgumentChecks.atMost(kernel, "headDim", dims.headDim(), LaunchShape.MAX_BLOCK - 1,
                "one decode thread per state column");
        if (!(dims.eps() >= 0)) {
            throw new IllegalArgumentException(kernel + ": eps must be ≥ 0, got " + dims.eps());
        }
    }
}
