package io.readtwice.answer;

import io.readtwice.checkpoint.CheckpointException;
import io.readtwice.checkpoint.CheckpointLoader;
import io.readtwice.checkpoint.ModelCheckpoint;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.model.LanguageModel;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-JVM model cache: one loaded checkpoint per folder and one {@link LanguageModel} per (folder, backend,
 * threads), created on first use and shared by every task thread of the executor for the JVM's lifetime. A model
 * is never loaded per task or per partition; concurrent first calls wait for the one load.
 *
 * <p>A {@link LanguageModel} keeps no per-call state (weights and kernels are read-only; each call allocates its
 * own buffers and the recurrent state lives in the caller's {@code SequenceState}s), so threads share it.
 */
public final class ModelHolder {
    /** The only backend of this build. */
    public static final String CPU = "cpu";

    private static final Map<Path, Slot<ModelCheckpoint>> CHECKPOINTS = new ConcurrentHashMap<>();
    private static final Map<Key, Slot<LanguageModel>> MODELS = new ConcurrentHashMap<>();

    private ModelHolder() {
    }

    /**
     * A model ready to use.
     *
     * @param model       the shared model
     * @param loadedNow   true for the one call that read the checkpoint from disk in this JVM
     * @param loadSeconds how long reading took (0 when it was cached)
     */
    public record Acquired(LanguageModel model, boolean loadedNow, double loadSeconds) {
    }

    private record Key(Path dir, String backend, int threads) {
    }

    /** The model in {@code dir} on {@code backend} with {@code threads} compute threads, loading it once per JVM. */
    public static Acquired acquire(Path dir, String backend, int threads) throws CheckpointException {
        if (!CPU.equals(backend)) {
            throw new IllegalArgumentException("no " + backend + " backend in this build (only " + CPU + ")");
        }
        Path key = dir.toAbsolutePath().normalize();
        Slot<ModelCheckpoint> checkpoint = CHECKPOINTS.computeIfAbsent(key, k -> new Slot<>());
        long start = System.nanoTime();
        boolean loadedNow = checkpoint.fill(() -> CheckpointLoader.load(key));
        double seconds = loadedNow ? (System.nanoTime() - start) / 1e9 : 0;
        Slot<LanguageModel> model = MODELS.computeIfAbsent(new Key(key, backend, threads), k -> new Slot<>());
        model.fill(() -> {
            ModelCheckpoint c = checkpoint.get();
            return new LanguageModel(c.config(), c.weights(), new CpuBackend(threads));
        });
        return new Acquired(model.get(), loadedNow, seconds);
    }

    /** Drops every cached model (tests). */
    public static void clear() {
        CHECKPOINTS.clear();
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
