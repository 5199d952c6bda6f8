package io.readtwice.kernels.gpu;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

/** Device time between two events on the default stream, in milliseconds (what the benchmark reports). */
final class GpuTimer implements AutoCloseable {
    private final CudaContext context;
    private final CUevent start = new CUevent();
    private final CUevent stop = new CUevent();

    GpuTimer(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        JCudaDriver.cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        JCudaDriver.cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
    }

    /** Runs {@code work} (which queues kernels) between the two events and waits for it. */
    float time(Runnable work) {
        context.makeCurrent();
        JCudaDriver.cuEventRecord(start, null);
        work.run();
        JCudaDriver.cuEventRecord(stop, null);
        JCudaDriver.cuEventSynchronize(stop);
        float[] ms = new float[1];
        JCudaDriver.cuEventElapsedTime(ms, start, stop);
        return ms[0];
    }

    @Override
    public void close() {
        context.makeCurrent();
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(stop);
    }
}
