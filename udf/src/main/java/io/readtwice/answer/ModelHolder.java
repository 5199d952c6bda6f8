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
import io.readtwice.model.CausalLm;
import io.readtwice.model.LanguageModel;
import io.readtwice.model.gpu.DeviceLanguageModel;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-JVM model cache: one model per (folder, backend, threads, weight precision) on the CPU, per folder on the
 * GPU, created on first use and shared by every task thread of the executor for the JVM's
 * lifetime. A model is never loaded per task or per partition; concurrent first calls wait for the one load. The
 * weights are read from the file straight into the model's storage, so each model holds them once in its precision;
 * two thread counts (or precisions) of one folder on the CPU are two models with a copy each.
 *
 * <p>Which model: on the CPU the {@link LanguageModel} engine with the {@link CpuBackend}; on the GPU the
 * {@link DeviceLanguageModel} (weights, activations and recurrent state resident on the device), or, with
 * {@code -D}{@value #RESIDENT_PROPERTY}{@code =false}, the {@link LanguageModel} engine on the {@link GpuBackend} seam
 * (projections on the GPU, the rest on the host). See {@link #engine}.
 *
 * <p>A {@link LanguageModel} keeps no per-call state (weights and kernels are read-only; each call takes scratch
 * buffers of its own from the model's thread-safe pool and the recurrent state lives in the caller's
 * {@code SequenceState}s), so threads share it; the {@link DeviceLanguageModel} serialises its calls and keeps each
 * prefill's states in memory of their own.
 */
public final class ModelHolder {
    /** The Java backend, everywhere. */
    public static final String CPU = "cpu";
    /** The CUDA backend: bf16 weights resident on the executor's GPU (fails where there is none). */
    public static final String GPU = "gpu";
    /** The GPU where {@link GpuProbe} finds one, else the CPU. */
    public static final String AUTO = "auto";

    /** System property: {@code false} runs {@code --backend gpu} on the GpuBackend seam instead of the resident model. */
    public static final String RESIDENT_PROPERTY = "readtwice.gpu.resident";

    private static final Map<Key, Slot<CausalLm<?>>> MODELS = new ConcurrentHashMap<>();

    /** What runs a model on a resolved backend. */
    public enum Engine {
        /** {@link LanguageModel} on the {@link CpuBackend}. */
        HOST,
        /** {@link LanguageModel} on the {@link GpuBackend} seam: projections on the GPU, other operations on the host. */
        GPU_SEAM,
        /** {@link DeviceLanguageModel}: the whole forward pass on the GPU. */
        GPU_RESIDENT
    }

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
    public record Acquired(CausalLm<?> model, String backend, boolean loadedNow, double loadSeconds) {
    }

    private record Key(Path dir, Engine engine, int threads, WeightPrecision precision) {
    }

    /**
     * The engine for a resolved backend ({@value #CPU} or {@value #GPU}): the host engine on the CPU; on the GPU the
     * device-resident model unless {@code resident} is false (the {@value #RESIDENT_PROPERTY} property).
     */
    public static Engine engine(String resolved, boolean resident) {
        switch (resolved) {
            case CPU:
                return Engine.HOST;
            case GPU:
                return resident ? Engine.GPU_RESIDENT : Engine.GPU_SEAM;
            default:
                throw new IllegalArgumentException("not a resolved backend: " + resolved + " (cpu or gpu)");
        }
    }

    /** {@link #engine(String, boolean)} with the {@value #RESIDENT_PROPERTY} system property (default true). */
    public static Engine engine(String resolved) {
        return engine(resolved, Boolean.parseBoolean(System.getProperty(RESIDENT_PROPERTY, "true")));
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
     * bf16): its weights stay resident on the device and every task thread shares them. Which model runs it:
     * {@link #engine(String)}.
     */
    public static Acquired acquire(Path dir, String backend, int threads, WeightPrecision precision)
            throws CheckpointException {
        String resolved = resolve(backend);
        boolean gpu = GPU.equals(resolved);
        Engine engine = engine(resolved);
        WeightPrecision stored = gpu ? WeightPrecision.BF16 : precision;
        Path path = dir.toAbsolutePath().normalize();
        // one GPU model per JVM whatever the task's thread count: the device holds one copy of the weights
        Slot<CausalLm<?>> model = MODELS.computeIfAbsent(new Key(path, engine, gpu ? 0 : threads, stored),
                k -> new Slot<>());
        long start = System.nanoTime();
        boolean loadedNow = model.fill(() -> {
            ModelCheckpoint c = CheckpointLoader.load(path, WeightsFormat.AUTO, stored);
            if (engine == Engine.GPU_RESIDENT) {
                return DeviceLanguageModel.load(c.config(), c.weights());
            }
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
