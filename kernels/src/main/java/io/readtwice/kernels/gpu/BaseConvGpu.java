package io.readtwice.kernels.gpu;

import jcuda.driver.CUstream;

import java.util.List;

/**
 * Launches {@code base_conv.cu}: BaseConv's causal depthwise convolution + SiLU gate. Same arguments as
 * {@link io.readtwice.kernels.Backend#baseConvPrefill} and {@code baseConvStep} with device buffers; conv is
 * {@code [channels, taps]} float32, the state one float32 buffer {@code [sequences, taps, channels]}.
 */
public final class BaseConvGpu {
    static final String MODULE = "base_conv";
    static final String PREFILL = "base_conv_prefill";
    static final String STEP = "base_conv_step";
    static final List<String> KERNELS = List.of(PREFILL + "_f32", PREFILL + "_bf16", STEP + "_f32", STEP + "_bf16");
    static final int THREADS = 256;

    private final KernelModule module;
    private final CUstream stream;

    /** Launches on the default stream. */
    public BaseConvGpu(CudaContext context) {
        this(context, null);
    }

    /** Launches on {@code stream} (null: the default stream), e.g. one being captured into a CUDA graph. */
    public BaseConvGpu(CudaContext context, CUstream stream) {
        this.module = context.module(MODULE);
        this.stream = stream;
    }

    /** z {@code [rows, 2·channels]} (u1, u2), out {@code [rows, channels]}; writes every sequence's state. */
    public void prefill(DeviceBuffer z, PackedSequences sequences, int channels, DeviceBuffer conv, int taps,
                        DeviceBuffer state, DeviceBuffer out) {
        prefill(z, sequences, channels, conv, taps, null, state, out);
    }

    /**
     * Prefill of one chunk of longer prompts: rows before each sequence's chunk come from {@code previousState}, a
     * copy of the state the previous chunk left ({@code [sequences, taps, channels]}; not {@code state} itself,
     * which this launch overwrites while other blocks read). Null: every sequence starts here.
     */
    public void prefill(DeviceBuffer z, PackedSequences sequences, int channels, DeviceBuffer conv, int taps,
                        DeviceBuffer previousState, DeviceBuffer state, DeviceBuffer out) {
        ArgumentChecks.positive(PREFILL, "channels", channels);
        ArgumentChecks.positive(PREFILL, "taps", taps);
        ElementType type = ArgumentChecks.activationType(PREFILL, "z", z);
        long rows = sequences.rows();
        int s = sequences.sequences();
        ArgumentChecks.holds(PREFILL, "z", z, type, rows * 2 * channels, "[rows, 2·channels]");
        ArgumentChecks.holds(PREFILL, "out", out, type, rows * channels, "[rows, channels]");
        ArgumentChecks.holds(PREFILL, "conv", conv, ElementType.F32, (long) channels * taps, "[channels, taps]");
        ArgumentChecks.holds(PREFILL, "state", state, ElementType.F32, (long) s * taps * channels,
                "[sequences, taps, channels]");
        if (previousState != null) {
            ArgumentChecks.holds(PREFILL, "previousState", previousState, ElementType.F32, (long) s * taps * channels,
                    "[sequences, taps, channels]");
        }
        KernelArgs args = new KernelArgs().buffer(z).buffer(sequences.device()).i32(s).buffer(conv).buffer(state)
                .buffer(out).i32(Math.toIntExact(rows)).i32(channels).i32(taps).bufferOrNull(previousState);
        module.kernel(PREFILL + type.kernelSuffix()).launch(LaunchShape.grid(Math.toIntExact(rows + s),
                ArgumentChecks.ceilDiv(channels, THREADS), THREADS, 0), args, stream);
    }

    /** One row per sequence: z {@code [batch, 2·channels]}, out {@code [batch, channels]}; the state shifts. */
    public void step(DeviceBuffer z, int batch, int channels, DeviceBuffer conv, int taps, DeviceBuffer state,
                     DeviceBuffer out) {
        ArgumentChecks.positive(STEP, "batch", batch);
        ArgumentChecks.positive(STEP, "channels", channels);
        ArgumentChecks.positive(STEP, "taps", taps);
        ElementType type = ArgumentChecks.activationType(STEP, "z", z);
        ArgumentChecks.holds(STEP, "z", z, type, (long) batch * 2 * channels, "[batch, 2·channels]");
        ArgumentChecks.holds(STEP, "out", out, type, (long) batch * channels, "[batch, channels]");
        ArgumentChecks.holds(STEP, "conv", conv, ElementType.F32, (long) channels * taps, "[channels, taps]");
        ArgumentChecks.holds(STEP, "state", state, ElementType.F32, (long) batch * taps * channels,
                "[batch, taps, channels]");
        ArgumentChecks.atMost(STEP, "batch", batch, LaunchShape.MAX_GRID_YZ, "grid y");
        KernelArgs args = new KernelArgs().buffer(z).buffer(conv).buffer(state).buffer(out).i32(channels).i32(taps);
        module.kernel(STEP + type.kernelSuffix()).launch(LaunchShape.grid(ArgumentChecks.ceilDiv(channels, THREADS),
                batch, THREADS, 0), args, stream);
    }
}
