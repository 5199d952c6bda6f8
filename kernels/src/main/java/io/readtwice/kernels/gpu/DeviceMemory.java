package io.readtwice.kernels.gpu;

import jcuda.CudaException;

/**
 * One {@code cuMemAlloc} block handed out as {@link DeviceBuffer} views by a {@link DeviceArena}: buffers for the
 * block's life ({@link #resident}: weights, a batch's recurrent state, the fixed buffers a CUDA graph was captured
 * with) first, per-call buffers ({@link #scratch}) after them, all dropped at once by {@link #releaseScratch}. One
 * allocation per owner, freed with it, so that nothing is freed while a kernel might still read it piecemeal.
 * Not thread-safe; its owner serialises calls.
 */
public final class DeviceMemory implements AutoCloseable {
    private final CudaContext context;
    private final CudaArenaBlock block = new CudaArenaBlock();
    private final DeviceArena arena;

    DeviceMemory(CudaContext context, long bytes) {
        this.context = context;
        context.makeCurrent();
        this.arena = new DeviceArena(block, Math.max(DeviceArena.ALIGNMENT, DeviceArena.align(bytes)));
    }

    /** {@code elements} values kept until this memory is closed. Only while no scratch is held. */
    public DeviceBuffer resident(ElementType type, long elements, String what) {
        return view(type, elements, arena.resident(elements * type.bytes(), what));
    }

    /** {@code elements} values valid until {@link #releaseScratch}. */
    public DeviceBuffer scratch(ElementType type, long elements, String what) {
        return view(type, elements, arena.scratch(elements * type.bytes(), what));
    }

    private DeviceBuffer view(ElementType type, long elements, long address) {
        try {
            return DeviceBuffer.view(context, type, Math.max(1, elements), block.pointer(address));
        } catch (CudaException e) {
            throw GpuErrors.translate("device memory view", elements * type.bytes(), e);
        }
    }

    /** Drops every scratch buffer at once; views of them must not be used afterwards. */
    public void releaseScratch() {
        arena.releaseScratch();
    }

    public long capacity() {
        return arena.capacity();
    }

    public long residentBytes() {
        return arena.residentBytes();
    }

    /** Bytes the scratch region holds when empty. */
    public long scratchCapacity() {
        return arena.scratchCapacity();
    }

    @Override
    public void close() {
        context.makeCurrent();
        arena.close();
    }
}
