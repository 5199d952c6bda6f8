package io.readtwice.kernels.gpu;

import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One entry point of a loaded module. Launches go to the default stream, in order; above 48 KiB of dynamic shared
 * memory the kernel is opted in once (cuFuncSetAttribute), up to the device limit.
 */
public final class Kernel {
    private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;
    private final CudaContext context;
    private final String name;
    private final CUfunction function;
    private int sharedOptIn = DEFAULT_SHARED_LIMIT;

    Kernel(CudaContext context, String name, CUfunction function) {
        this.context = context;
        this.name = name;
        this.function = function;
    }

    public String name() {
        return name;
    }

    /** Queues the kernel; errors of the launch itself are thrown here, errors while running at the next sync. */
    public void launch(LaunchShape shape, KernelArgs args) {
        launch(shape, args, null);
    }

    /** Queues the kernel on {@code stream} (null: the default stream). */
    public synchronized void launch(LaunchShape shape, KernelArgs args, CUstream stream) {
        context.makeCurrent();
        if (shape.sharedBytes() > sharedOptIn) {
            if (shape.sharedBytes() > context.maxSharedBytesPerBlock()) {
                throw new IllegalArgumentException(name + ": needs " + shape.sharedBytes()
                        + " bytes of shared memory per block, the device allows " + context.maxSharedBytesPerBlock());
            }
            JCudaDriver.cuFuncSetAttribute(function,
                    CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, shape.sharedBytes());
            sharedOptIn = shape.sharedBytes();
        }
        JCudaDriver.cuLaunchKernel(function, shape.gridX(), shape.gridY(), shape.gridZ(), shape.block(), 1, 1,
                shape.sharedBytes(), stream, args.toPointer(), null);
    }
}
