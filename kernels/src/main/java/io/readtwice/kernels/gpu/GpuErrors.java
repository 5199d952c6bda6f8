package io.readtwice.kernels.gpu;

import io.readtwice.kernels.DeviceError;
import io.readtwice.kernels.DeviceOutOfMemory;
import jcuda.CudaException;

/** Turns JCuda's exceptions into the seam's two failure kinds: out of memory (retry smaller) or a device error. */
final class GpuErrors {
    private GpuErrors() {
    }

    static RuntimeException translate(String what, long bytes, CudaException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("CUDA_ERROR_OUT_OF_MEMORY")) {
            DeviceOutOfMemory oom = new DeviceOutOfMemory(what, bytes, -1);
            oom.initCause(e);
            return oom;
        }
        return new DeviceError("CUDA error in " + what + ": " + message, e);
    }
}
