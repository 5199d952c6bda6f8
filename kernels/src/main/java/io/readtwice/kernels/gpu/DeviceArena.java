package io.readtwice.kernels.gpu;

import io.readtwice.kernels.DeviceOutOfMemory;

/**
 * All device memory of one backend: a single allocation carved by bump pointer into two regions. Weights go first
 * and stay for the backend's life ({@link #resident}); per-call buffers ({@link #scratch}) come after them and are
 * all dropped at once by {@link #releaseScratch}. One allocation, no device-side free list, no fragmentation; an
 * allocation that does not fit throws {@link DeviceOutOfMemory}, which callers answer by splitting their batch.
 *
 * <p>Only bookkeeping: addresses are plain numbers from an {@link Allocator}, so the logic is tested without a device.
 * Not thread-safe; the backend serialises its calls.
 */
public final class DeviceArena implements AutoCloseable {
    /** Every buffer starts on 256 bytes: enough for 128-bit vector loads, cp.async and TMA. */
    public static final int ALIGNMENT = 256;

    /** Where the one big block comes from: cuMemAlloc on a device, a counter in tests. */
    public interface Allocator {
        /** A block of {@code bytes}, at least {@value #ALIGNMENT}-byte aligned; throws DeviceOutOfMemory. */
        long allocate(long bytes);

        void free(long address);
    }

    private final Allocator allocator;
    private final long base;
    private final long capacity;
    /** End of the weights; scratch starts here. */
    private long residentEnd;
    /** End of everything handed out. */
    private long top;
    private long peak;
    private boolean closed;

    /** Takes {@code capacity} bytes from {@code allocator} at once. */
    public DeviceArena(Allocator allocator, long capacity) {
        if (capacity < ALIGNMENT) {
            throw new IllegalArgumentException("arena capacity must be at least " + ALIGNMENT + " bytes, got "
                    + capacity);
        }
        this.allocator = allocator;
        this.capacity = capacity;
        this.base = allocator.allocate(capacity);
        if (base % ALIGNMENT != 0) {
            allocator.free(base);
            throw new IllegalStateException("allocator returned " + base + ", not " + ALIGNMENT + "-byte aligned");
        }
    }

    /** Memory for the backend's lifetime (weights). Only while no scratch is held, so that weights stay packed. */
    public long resident(long bytes, String what) {
        if (top != residentEnd) {
            throw new IllegalStateException("resident allocation of " + what + " while scratch is held");
        }
        long address = bump(bytes, what);
        residentEnd = top;
        return address;
    }

    /** Memory for the current call, valid until {@link #releaseScratch}. */
    public long scratch(long bytes, String what) {
        return bump(bytes, what);
    }

    /** Drops every scratch buffer at once. */
    public void releaseScratch() {
        top = residentEnd;
    }

    private long bump(long bytes, String what) {
        checkOpen();
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size " + bytes + " for " + what);
        }
        long size = align(bytes);
        if (size > capacity - top) {
            throw new DeviceOutOfMemory(what + " in the device arena", bytes, capacity - top);
        }
        long address = base + top;
        top += size;
        peak = Math.max(peak, top);
        return address;
    }

    /** {@code bytes} rounded up to {@link #ALIGNMENT}. */
    public static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) & -(long) ALIGNMENT;
    }

    public long capacity() {
        return capacity;
    }

    public long residentBytes() {
        return residentEnd;
    }

    /** Bytes a call may still take as scratch (capacity less weights less scratch held now). */
    public long freeBytes() {
        return capacity - top;
    }

    /** Bytes the scratch region can hold when empty. */
    public long scratchCapacity() {
        return capacity - residentEnd;
    }

    /** The most bytes ever in use at once. */
    public long peakBytes() {
        return peak;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("device arena is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            allocator.free(base);
        }
    }
}
