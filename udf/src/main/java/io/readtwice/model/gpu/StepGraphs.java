package io.readtwice.model.gpu;

import io.readtwice.model.BasedDecode;

import java.util.HashMap;
import java.util.Map;

/**
 * The decode-step CUDA graphs of one batch, keyed by what is baked into a captured graph besides the batch's buffer
 * addresses: the number of sequences stepping (launch grids, GEMM rows) and the Based decode rule (the kv weight, a
 * kernel argument). The first step of a key runs its launches directly (which also sets any kernel attributes, not
 * something to do while capturing); the second captures them and every later one replays the graph. Without graphs
 * ({@value #DISABLE_PROPERTY}{@code =false}) every step runs directly, and so does every step after a capture failed
 * (the failure is kept for {@link #captureFailure}): graphs save launch overhead, they are not worth failing a step.
 *
 * @param <G> the captured graph (a device graph; tests count captures with a stand-in)
 */
final class StepGraphs<G extends AutoCloseable> implements AutoCloseable {
    /** System property: {@code false} runs every decode step as direct launches. */
    static final String DISABLE_PROPERTY = "readtwice.gpu.graphs";

    /** A key of the cache. */
    record Key(int sequences, BasedDecode basedDecode) {
    }

    /** What one step does, directly or recorded. */
    interface Device<G> {
        /** Enqueues the step's launches. */
        void enqueue();

        /** Records {@link #enqueue} into a graph. */
        G capture();

        /** Enqueues a recorded step. */
        void replay(G graph);
    }

    private final boolean enabled;
    private final Map<Key, G> graphs = new HashMap<>();
    private final Map<Key, Integer> directRuns = new HashMap<>();
    private RuntimeException captureFailure;

    StepGraphs(boolean enabled) {
        this.enabled = enabled;
    }

    /** Graphs unless the system property turns them off. */
    static boolean enabledByDefault() {
        return Boolean.parseBoolean(System.getProperty(DISABLE_PROPERTY, "true"));
    }

    /** Runs one step of {@code key}: directly, or from its graph (captured on the key's second step). */
    void run(Key key, Device<G> device) {
        if (!enabled) {
            device.enqueue();
            return;
        }
        G graph = graphs.get(key);
        if (graph == null && captureFailure == null && directRuns.getOrDefault(key, 0) >= 1) {
            try {
                graph = device.capture();
                graphs.put(key, graph);
            } catch (RuntimeException e) {
                captureFailure = e;
            }
        }
        if (graph == null) {
            directRuns.merge(key, 1, Integer::sum);
            device.enqueue();
        } else {
            device.replay(graph);
        }
    }

    boolean enabled() {
        return enabled;
    }

    /** Why capturing failed (after which every step runs directly), or null. */
    RuntimeException captureFailure() {
        return captureFailure;
    }

    /** Keys with a captured graph. */
    int captured() {
        return graphs.size();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (G g : graphs.values()) {
            try {
                g.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new IllegalStateException("closing a CUDA graph failed: " + e.getMessage(), e);
                }
            }
        }
        graphs.clear();
        if (first != null) {
            throw first;
        }
    }
}
