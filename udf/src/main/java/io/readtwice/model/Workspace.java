package io.readtwice.model;

import java.util.HashMap;
import java.util.Map;

/**
 * Scratch arrays for one forward call, reused by every layer: a prefill of T tokens needs the same temporaries
 * in each of its layers, and allocating them per layer made the heap grow to several times the activations.
 * Arrays may be longer than asked for and hold old values; every user overwrites what it reads.
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
}
