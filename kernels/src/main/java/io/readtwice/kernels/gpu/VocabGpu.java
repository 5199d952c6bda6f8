package io.readtwice.kernels.gpu;

import jcuda.driver.CUstream;

import java.util.List;

/**
 * Launches {@code vocab.cu} over rows of logits {@code [rows, V]}: greedy choice (first index of the largest logit,
 * the tie rule of udf's LogitsRow) with log Σ exp, and full log-probabilities.
 */
public final class VocabGpu {
    static final String MODULE = "vocab";
    static final String GREEDY = "vocab_greedy";
    static final String LOG_SOFTMAX = "vocab_log_softmax";
    static final List<String> KERNELS = List.of(GREEDY + "_f32", GREEDY + "_bf16", LOG_SOFTMAX + "_f32",
            LOG_SOFTMAX + "_bf16");
    static final int THREADS = 1024;

    private final KernelModule module;
    private final CUstream stream;

    /** Launches on the default stream. */
    public VocabGpu(CudaContext context) {
        this(context, null);
    }

    /** Launches on {@code stream} (null: the default stream), e.g. one being captured into a CUDA graph. */
    public VocabGpu(CudaContext context, CUstream stream) {
        this.module = context.module(MODULE);
        this.stream = stream;
    }

    /** argmax int32 {@code [rows]}, logSumExp float32 {@code [rows]}. */
    public void greedy(DeviceBuffer logits, int rows, int vocab, DeviceBuffer argmax, DeviceBuffer logSumExp) {
        ElementType type = check(GREEDY, logits, rows, vocab);
        ArgumentChecks.holds(GREEDY, "argmax", argmax, ElementType.I32, rows, "[rows]");
        ArgumentChecks.holds(GREEDY, "logSumExp", logSumExp, ElementType.F32, rows, "[rows]");
        module.kernel(GREEDY + type.kernelSuffix()).launch(LaunchShape.grid(rows, 1, THREADS, 0),
                new KernelArgs().buffer(logits).buffer(argmax).buffer(logSumExp).i32(vocab), stream);
    }

    /** logProbs float32 {@code [rows, V]} = logits − log Σ exp(logits), per row. */
    public void logSoftmax(DeviceBuffer logits, int rows, int vocab, DeviceBuffer logProbs) {
        ElementType type = check(LOG_SOFTMAX, logits, rows, vocab);
        ArgumentChecks.holds(LOG_SOFTMAX, "logProbs", logProbs, ElementType.F32, (long) rows * vocab, "[rows, V]");
        module.kernel(LOG_SOFTMAX + type.kernelSuffix()).launch(LaunchShape.grid(rows, 1, THREADS, 0),
                new KernelArgs().buffer(logits).buffer(logProbs).i32(vocab), stream);
    }

    private static ElementType check(String kernel, DeviceBuffer logits, int rows, int vocab) {
        ArgumentChecks.positive(kernel, "rows", rows);
        ArgumentChecks.positive(kernel, "vocab", vocab);
        ElementType type = ArgumentChecks.activationType(kernel, "logits", logits);
        ArgumentChecks.holds(kernel, "logits", logits, type, (long) rows * vocab, "[rows, V]");
        return type;
    }
}
