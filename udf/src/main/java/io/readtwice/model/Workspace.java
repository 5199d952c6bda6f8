package io.readtwice.model;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Scratch arrays for one forward call, reused by every layer: a prefill of T tokens needs the same temporaries
 * in each of its layers, and allocating them per layer made the heap grow to several times the activations.
 * Arrays may be longer than asked for and hold old values; every user overwrites what it reads. A model keeps the
 * workspaces of finished calls in a {@link Pool}: a prefill's activations are allocated once, not per call (fresh
 * ones made the heap, and the memory it touched, grow with garbage between collections).
 */
final class Workspace {
    private final Map<String, float[]> buffers = new HashMap<>();

    /** An array of at least {@code size} floats, the same one on every call with this name. */
    float[] get(String name, int size) {
        float[] buffer = buffers.get(name);
        if (buffer == null || buffer.length < size) {
            buffer = new float[size];
            buffers.put(name, buffer);
        }
        return buffer;
    }

    /** Workspaces not in use; one per call running at the same time, each as large as the largest call it served. */
    static final class Pool {
        private final ConcurrentLinkedDeque<Workspace> idle = new ConcurrentLinkedDeque<>();

        Workspace take() {
            Workspace ws = idle.pollFirst();
            return ws != null ? ws : new Workspace();
        }

        void give(Workspace ws) {
            idle.addFirst(ws);
        }
    }
}
