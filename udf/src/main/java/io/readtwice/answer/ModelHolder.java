package io.readtwice.answer;

import io.readtwice.checkpoint.CheckpointException;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.checkpoint.WeightsFormat;
import io.readtwice.kernels.Backend;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.gpu.GpuBackend;
import io.readtwice.kernels.gpu.GpuProbe;
import io.readtwice.model.LanguageModel;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-JVM model cache: one {@link LanguageModel} per (folder, backend, threads, weight precision) on the CPU,
 * per folder on the GPU, created on first use and shared by every task thread of the executor for the JVM's
 * lifetime. A model is never loaded per task or per partition; concurrent first calls wait for the one load. The
 * weights are read from the file straight into the model's storage, so each model holds them once in its precision;
 * two thread counts (or precisions) of one folder on the CPU are two models with a copy each.
 *
 * <p>A {@link LanguageModel} keeps no per-call state (weights and kernels are read-only; each call takes scratch
 * buffers of its own from the model's thread-safe pool and the recurrent state lives in the caller's
 * {@code SequenceState}s), so threads share it.
 */
public final class ModelHolder {
    /** The Java backend, everywhere. */
    public static final String CPU = "cpu";
    /** The CUDA backend: bf16 weights resident on the executor's GPU (fails where there is none). */
    public static final String GPU = "gpu";
    /** The GPU where {@link GpuProbe} finds one, else the CPU. */
    public static final String AUTO = "auto";

    private static final Map<Key, Slot<LanguageModel>> MODELS = new ConcurrentHashMap<>();

    private ModelHolder() {
    }

    /**
     * A model ready to use.
     *
     * @param model       the shared model
     * @param backend     the backend that runs it, {@value #CPU} or {@value #GPU} ({@value #AUTO} resolved)
     * @param loadedNow   true for the one call that read the weights from disk into this model
     * @param loadSeconds how long reading and storing took (0 when it was cached)
     */
    public record Acquired(LanguageModel model, String backend, boolean loadedNow, double loadSeconds) {
    }

    private record Key(Path dir, String backend, int threads, WeightPrecision precision) {
    }

    /**
     * The backend {@code requested} means in this JVM: {@value #AUTO} becomes {@value #GPU} where the probe finds a
     * usable GPU, else {@value #CPU}; {@value #GPU} without one is an error naming the probe's reason.
     */
    public static String resolve(String requested) {
        switch (requested) {
            case CPU:
                return CPU;
            case GPU:
                if (!GpuProbe.available()) {
                    throw new IllegalArgumentException("--backend gpu: " + GpuProbe.description()
                            + " (use --backend auto to fall back to the CPU)");
                }
                return GPU;
            case AUTO:
                return GpuProbe.available() ? GPU : CPU;
            default:
                throw new IllegalArgumentException("--backend must be auto, cpu or gpu, got " + requested);
        }
    }

    /** {@link #acquire(Path, String, int, WeightPrecision)} with float32 weights on the CPU. */
    public static Acquired acquire(Path dir, String backend, int threads) throws CheckpointException {
        return acquire(dir, backend, threads, WeightPrecision.FP32);
    }

    /**
     * The model in {@code dir} on {@code backend} ({@value #CPU}, {@value #GPU} or {@value #AUTO}) with
     * {@code threads} compute threads for the host and its weight matrices stored in {@code precision}, loading it
     * once per JVM. A GPU model is one per executor, in bf16 whatever {@code precision} says (its GEMM kernels read
     * bf16): its weights stay resident on the device and every task thread shares them.
     */
    public static Acquired acquire(Path dir, String backend, int threads, WeightPrecision precision)
            throws CheckpointException {
        String resolved = resolve(backend);
        boolean gpu = GPU.equals(resolved);
        WeightPrecision stored = gpu ? WeightPrecision.BF16 : precision;
        Path path = dir.toAbsolutePath().normalize();
        // one GPU model per JVM whatever the task's thread count: the device holds one copy of the weights
        Slot<LanguageModel> model = MODELS.computeIfAbsent(new Key(path, resolved, gpu ? 0 : threads, stored),
                k -> new Slot<>());
        long start = System.nanoTime();
        boolean loadedNow = model.fill(() -> {
            ModelCheckpoint c = CheckpointLoader.load(path, WeightsFormat.AUTO, stored);
            Backend b = gpu ? new GpuBackend(threads) : new CpuBackend(threads);
            return new LanguageModel(c.config(), c.weights(), b, stored);
        });
        double seconds = loadedNow ? (System.nanoTime() - start) / 1e9 : 0;
        return new Acquired(model.get(), resolved, loadedNow, seconds);
    }

    /** Drops every cached model (tests). */
    public static void clear() {
        MODELS.clear();
    }

    private interface Loader<T> {
        T load() throws CheckpointException;
    }

    /** A value filled once; a failed fill leaves it empty so that the next caller retries and sees the error. */
    private static final class Slot<T> {
        private T value;

        synchronized boolean fill(Loader<T> loader) throws CheckpointException {
            if (value != null) {
                return false;
            }
            value = loader.load();
            return true;
        }

        synchronized T get() {
            return value;
        }
    }
}
