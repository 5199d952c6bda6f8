package io.readtwice.kernels.gpu;

import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

/**
 * The one cuMemAlloc block behind a {@link DeviceArena}. JCuda does not expose a device pointer's value, so arena
 * addresses are byte offsets into this block (it hands out address 0) and {@link #pointer} turns them back into
 * device pointers. cuMemAlloc blocks are at least 256-byte aligned, so offsets keep the arena's alignment.
 */
final class CudaArenaBlock implements DeviceArena.Allocator {
    private CUdeviceptr block;

    @Override
    public long allocate(long bytes) {
        if (block != null) {
            throw new IllegalStateException("the arena block is allocated once");
        }
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, bytes);
        } catch (CudaException e) {
            throw GpuErrors.translate("the device arena", bytes, e);
        }
        block = p;
        return 0;
    }

    @Override
    public void free(long address) {
        if (block != null) {
            cuMemFree(block);
            block = null;
        }
    }

    /** The device pointer of an arena address. */
    CUdeviceptr pointer(long address) {
        return block.withByteOffset(address);
    }
}
