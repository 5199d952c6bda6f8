package io.readtwice.kernels.gpu;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device's primary context (shared with any other CUDA user in the JVM, e.g. cuBLAS through another binding),
 * the kernel modules loaded into it, and the device limits the launchers check against. JCuda's current context is
 * per thread: every operation here and in {@link DeviceBuffer} and {@link Kernel} makes it current first, so any
 * thread may launch, but launches should come from one owner thread to keep their order.
 */
public final class CudaContext implements AutoCloseable {
    private final CUdevice device;
    private final int ordinal;
    private final CUcontext context;
    private final int computeCapability;
    private final int maxSharedBytesPerBlock;
    /** Made by cuCtxCreate for {@link #openIsolated} (destroyed on close), not the retained primary context. */
    private final boolean isolated;
    private final Map<String, KernelModule> modules = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private CudaContext(int ordinal, CUdevice device, CUcontext context, boolean isolated) {
        this.ordinal = ordinal;
        this.device = device;
        this.context = context;
        this.isolated = isolated;
        this.computeCapability = GpuProbe.computeCapability(device);
        int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value,
                CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device);
        this.maxSharedBytesPerBlock = value[0];
    }

    /** Retains the primary context of device {@code ordinal}; check {@link GpuProbe#available()} first. */
    public static CudaContext open(int ordinal) {
        if (!GpuProbe.available()) {
            throw new IllegalStateException("no GPU: " + GpuProbe.description());
        }
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        CUcontext context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        return new CudaContext(ordinal, device, context, false);
    }

    /**
     * A context of its own on device {@code ordinal} (cuCtxCreate), destroyed by {@link #close()}, so that a sticky
     * error in it (a faulty kernel) is meant to stay out of the primary context that everything else uses (drivers
     * tear down the faulting context; the driver documentation still advises restarting the process, which is what
     * happens anyway if the error does spread). GemmSelfCheck runs the untested wgmma kernel here first.
     */
    static CudaContext openIsolated(int ordinal) {
        if (!GpuProbe.available()) {
            throw new IllegalStateException("no GPU: " + GpuProbe.description());
        }
        CUdevice device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        CUcontext context = new CUcontext();
        JCudaDriver.cuCtxCreate(context, 0, device);   // also makes it current on this thread
        return new CudaContext(ordinal, device, context, true);
    }

    /** Makes this context current on the calling thread. */
    void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("the CUDA context is closed");
        }
        JCudaDriver.cuCtxSetCurrent(context);
    }

    /** Waits for all work queued on the device. */
    public void synchronize() {
        makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    /** The module built from {@code src/main/cuda/<name>.cu}, loaded once; every manifest entry point resolved. */
    public KernelModule module(String name) {
        makeCurrent();
        return modules.computeIfAbsent(name, n -> KernelModule.load(this, n));
    }

    /** The device's ordinal (what {@link #open} was given). */
    int ordinal() {
        return ordinal;
    }

    /** Major·10 + minor, e.g. 90. */
    public int computeCapability() {
        return computeCapability;
    }

    /** The largest dynamic shared memory a block may opt into (227 KiB on H100, 163 KiB on A100). */
    public int maxSharedBytesPerBlock() {
        return maxSharedBytesPerBlock;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (isolated) {
            // after a sticky error every call but the destroy fails: skip the orderly unload
            closed = true;
            JCudaDriver.cuCtxDestroy(context);
            return;
        }
        makeCurrent();
        JCudaDriver.cuCtxSynchronize();
        modules.values().forEach(KernelModule::unload);
        modules.clear();
        closed = true;
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
    }
}
