package io.readtwice.kernels.gpu;

import io.readtwice.kernels.WindowDims;
import jcuda.driver.CUstream;

import java.util.List;

/**
 * Launches {@code sliding_window.cu}: rotary + window softmax attention, prefill and ring-buffer decode step. Same
 * arguments as {@link io.readtwice.kernels.Backend#slidingWindowPrefill} and {@code slidingWindowStep}, with device
 * buffers; the caches are one float32 buffer each, {@code [sequences, windowBack+1, H·hd]}.
 */
public final class SlidingWindowGpu {
    static final String MODULE = "sliding_window";
    static final String PREFILL = "sliding_window_prefill";
    static final String STEP = "sliding_window_step";
    static final List<String> KERNELS = List.of(PREFILL + "_f32", PREFILL + "_bf16", STEP + "_f32", STEP + "_bf16");
    static final int QUERY_TILE = 32;
    static final int PREFILL_THREADS = 256;
    static final int STEP_THREADS = 128;

    private final CudaContext context;
    private final KernelModule module;
    private final CUstream stream;

    /** Launches on the default stream. */
    public SlidingWindowGpu(CudaContext context) {
        this(context, null);
    }

    /** Launches on {@code stream} (null: the default stream), e.g. one being captured into a CUDA graph. */
    public SlidingWindowGpu(CudaContext context, CUstream stream) {
        this.context = context;
        this.module = context.module(MODULE);
        this.stream = stream;
    }

    /** qkv {@code [rows, 3·H·hd]}, out {@code [rows, H·hd]}; fills the caches' slots of each sequence's last positions. */
    public void prefill(WindowDims dims, DeviceBuffer qkv, PackedSequences sequences, DeviceBuffer keyCache,
                        DeviceBuffer valueCache, DeviceBuffer out) {
        prefill(dims, qkv, sequences, null, null, null, keyCache, valueCache, out);
    }

    /**
     * Prefill of one chunk of longer prompts: sequence s's rows are positions {@code startPositions[s]..} (int32 on
     * the device); keys and values of the window before them come from {@code previousKeys}/{@code previousValues},
     * a copy of the ring caches the previous chunk left (not the caches themselves: this launch overwrites ring
     * slots that other blocks still read). All three null: every sequence starts at position 0.
     */
    public void prefill(WindowDims dims, DeviceBuffer qkv, PackedSequences sequences, DeviceBuffer startPositions,
                        DeviceBuffer previousKeys, DeviceBuffer previousValues, DeviceBuffer keyCache,
                        DeviceBuffer valueCache, DeviceBuffer out) {
        checkDims(PREFILL, dims);
        if ((startPositions == null) != (previousKeys == null) || (startPositions == null) != (previousValues == null)) {
            throw new IllegalArgumentException(PREFILL + ": startPositions, previousKeys and previousValues come "
                    + "together");
        }
        if (startPositions != null) {
            ArgumentChecks.holds(PREFILL, "startPositions", startPositions, ElementType.I32, sequences.sequences(),
                    "[sequences]");
            checkCaches(PREFILL, dims, sequences.sequences(), previousKeys, previousValues);
        }
        ElementType type = ArgumentChecks.activationType(PREFILL, "qkv", qkv);
        long width = (long) dims.heads() * dims.headDim();
        long rows = sequences.rows();
        ArgumentChecks.holds(PREFILL, "qkv", qkv, type, rows * 3 * width, "[rows, 3·H·hd]");
        ArgumentChecks.holds(PREFILL, "out", out, type, rows * width, "[rows, H·hd]");
        checkCaches(PREFILL, dims, sequences.sequences(), keyCache, valueCache);
        if (sequences.longest() == 0) {
            return;
        }
        int shared = 4 * (dims.headDim() / 2 + (QUERY_TILE + dims.windowBack()) * (dims.headDim() + 1)
                + QUERY_TILE * dims.headDim() + PREFILL_THREADS / 32 * dims.cacheLength());
        KernelArgs args = new KernelArgs().buffer(qkv).buffer(sequences.device()).buffer(keyCache).buffer(valueCache)
                .buffer(out).i32(dims.heads()).i32(dims.headDim()).i32(dims.windowBack()).f32(dims.rotaryBase())
                .bufferOrNull(startPositions).bufferOrNull(previousKeys).bufferOrNull(previousValues);
        module.kernel(PREFILL + type.kernelSuffix()).launch(new LaunchShape(
                ArgumentChecks.ceilDiv(sequences.longest(), QUERY_TILE), dims.heads(), sequences.sequences(),
                PREFILL_THREADS, shared), args, stream);
    }

    /**
     * One row per sequence at {@code positions[s]} (int32, tokens already read, on the device): appends the rotated key
     * and the value to the ring and attends over the window.
     */
    public void step(WindowDims dims, DeviceBuffer qkv, DeviceBuffer positions, int batch, DeviceBuffer keyCache,
                     DeviceBuffer valueCache, DeviceBuffer out) {
        checkDims(STEP, dims);
        ArgumentChecks.positive(STEP, "batch", batch);
        ElementType type = ArgumentChecks.activationType(STEP, "qkv", qkv);
        long width = (long) dims.heads() * dims.headDim();
        ArgumentChecks.holds(STEP, "qkv", qkv, type, batch * 3 * width, "[batch, 3·H·hd]");
        ArgumentChecks.holds(STEP, "out", out, type, batch * width, "[batch, H·hd]");
        ArgumentChecks.holds(STEP, "positions", positions, ElementType.I32, batch, "[batch]");
        checkCaches(STEP, dims, batch, keyCache, valueCache);
        int shared = 4 * (dims.headDim() / 2 + dims.headDim() + dims.cacheLength());
        KernelArgs args = new KernelArgs().buffer(qkv).buffer(positions).buffer(keyCache).buffer(valueCache)
                .buffer(out).i32(dims.heads()).i32(dims.headDim()).i32(dims.windowBack()).f32(dims.rotaryBase());
        module.kernel(STEP + type.kernelSuffix()).launch(LaunchShape.grid(dims.heads(), batch, STEP_THREADS, shared),
                args, stream);
    }

    private static void checkCaches(String kernel, WindowDims dims, int sequences, DeviceBuffer keyCache,
                                    DeviceBuffer valueCache) {
        long size = (long) sequences * dims.cacheSize();
        ArgumentChecks.holds(kernel, "keyCache", keyCache, ElementType.F32, size, "[sequences, windowBack+1, H·hd]");
        ArgumentChecks.holds(kernel, "valueCache", valueCache, ElementType.F32, size,
                "[sequences, windowBack+1, H·hd]");
    }

    private static void checkDims(String kernel, WindowDims dims) {
        ArgumentChecks.positive(kernel, "heads", dims.heads());
        ArgumentChecks.positive(kernel, "headDim", dims.headDim());
        ArgumentChecks.positive(kernel, "windowBack", dims.windowBack());
        if (dims.headDim() % 2 != 0) {
            throw new IllegalArgumentException(kernel + ": headDim must be even for rotary, got " + dims.headDim());
        }
        ArgumentChecks.atMost(kernel, "heads", dims.heads(), LaunchShape.MAX_GRID_YZ, "grid y");
        ArgumentChecks.atMost(kernel, "windowBack", dims.windowBack(), 4096, "scores of a window sit in shared memory");
    }
}
