package io.readtwice.kernels.gpu;

import jcuda.driver.CUstream;

import java.util.List;

/**
 * Launches {@code elementwise.cu}: the embedding gather, RMSNorm fused with the residual add, and SwiGLU's gate.
 * Twins of {@link io.readtwice.kernels.Backend#embed}, {@code addInPlace} + {@code rmsNorm}, and {@code swiGlu}.
 */
public final class ElementwiseGpu {
    static final String MODULE = "elementwise";
    static final String EMBED = "embed";
    static final String RMS_NORM = "rms_norm_residual";
    static final String SWIGLU = "swiglu";
    static final List<String> KERNELS = List.of(EMBED + "_f32", EMBED + "_bf16", RMS_NORM + "_f32",
            RMS_NORM + "_bf16", SWIGLU + "_f32", SWIGLU + "_bf16");
    static final int THREADS = 256;
    private static final int MAX_GRID_X = 65535 * 32;  // grid-stride: more blocks than this add nothing

    private final KernelModule module;
    private final CUstream stream;

    /** Launches on the default stream. */
    public ElementwiseGpu(CudaContext context) {
        this(context, null);
    }

    /** Launches on {@code stream} (null: the default stream), e.g. one being captured into a CUDA graph. */
    public ElementwiseGpu(CudaContext context, CUstream stream) {
        this.module = context.module(MODULE);
        this.stream = stream;
    }

    /** out {@code [n, d]} float32 = table {@code [vocab, d]} (F32 or BF16) rows of tokens (int32 {@code [n]}). */
    public void embed(DeviceBuffer table, int vocab, int d, DeviceBuffer tokens, int n, DeviceBuffer out) {
        ArgumentChecks.positive(EMBED, "vocab", vocab);
        ArgumentChecks.positive(EMBED, "d", d);
        ArgumentChecks.positive(EMBED, "n", n);
        ElementType type = ArgumentChecks.activationType(EMBED, "table", table);
        ArgumentChecks.holds(EMBED, "table", table, type, (long) vocab * d, "[vocab, d]");
        ArgumentChecks.holds(EMBED, "tokens", tokens, ElementType.I32, n, "[n]");
        ArgumentChecks.holds(EMBED, "out", out, ElementType.F32, (long) n * d, "[n, d]");
        module.kernel(EMBED + type.kernelSuffix()).launch(LaunchShape.grid(n, 1, THREADS, 0),
                new KernelArgs().buffer(table).buffer(tokens).buffer(out).i32(vocab).i32(d), stream);
    }

    /**
     * {@code residual += h} (h may be null), then {@code y = residual·w / sqrt(mean(residual²) + eps)} per row.
     * residual float32 {@code [rows, d]}; h and y {@code [rows, d]} of one activation type; w float32 {@code [d]}.
     */
    public void rmsNormResidual(DeviceBuffer residual, DeviceBuffer h, DeviceBuffer w, DeviceBuffer y, int rows,
                                int d, float eps) {
        ArgumentChecks.positive(RMS_NORM, "rows", rows);
        ArgumentChecks.positive(RMS_NORM, "d", d);
        ElementType type = ArgumentChecks.activationType(RMS_NORM, "y", y);
        ArgumentChecks.holds(RMS_NORM, "residual", residual, ElementType.F32, (long) rows * d, "[rows, d]");
        if (h != null) {
            ArgumentChecks.holds(RMS_NORM, "h", h, type, (long) rows * d, "[rows, d]");
        }
        ArgumentChecks.holds(RMS_NORM, "w", w, ElementType.F32, d, "[d]");
        ArgumentChecks.holds(RMS_NORM, "y", y, type, (long) rows * d, "[rows, d]");
        module.kernel(RMS_NORM + type.kernelSuffix()).launch(LaunchShape.grid(rows, 1, THREADS, 0),
                new KernelArgs().buffer(residual).bufferOrNull(h).buffer(w).buffer(y).i32(d).f32(eps), stream);
    }

    /** out {@code [rows, hidden]} = silu(gate) ⊙ value of z {@code [rows, 2·hidden]} = (value, gate). */
    public void swiGlu(DeviceBuffer z, int rows, int hidden, DeviceBuffer out) {
        ArgumentChecks.positive(SWIGLU, "rows", rows);
        ArgumentChecks.positive(SWIGLU, "hidden", hidden);
        ElementType type = ArgumentChecks.activationType(SWIGLU, "z", z);
        long total = (long) rows * hidden;
        ArgumentChecks.holds(SWIGLU, "z", z, type, 2 * total, "[rows, 2·hidden]");
        ArgumentChecks.holds(SWIGLU, "out", out, type, total, "[rows, hidden]");
        int blocks = (int) Math.min(MAX_GRID_X, (total + THREADS - 1) / THREADS);
        module.kernel(SWIGLU + type.kernelSuffix()).launch(LaunchShape.grid(blocks, 1, THREADS, 0),
                new KernelArgs().buffer(z).buffer(out).i64(rows).i32(hidden), stream);
    }
}
