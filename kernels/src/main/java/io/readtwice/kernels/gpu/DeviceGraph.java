package io.readtwice.kernels.gpu;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;

/**
 * Kernel launches recorded once from a stream ({@link GpuDevice#capture}) and replayed with one
 * {@code cuGraphLaunch}: the decode step of the device-resident model is ~10 launches per layer, each a few
 * microseconds of host and launch overhead that the replay pays once. The graph holds the device addresses and
 * scalar arguments it was captured with, so it is replayed only on those same buffers and shapes: new inputs go into
 * the captured input buffers before {@link #launch}.
 */
public final class DeviceGraph implements AutoCloseable {
    private final CudaContext context;
    private final CUgraph graph;
    private final CUgraphExec exec;
    private final CUstream stream;
    private boolean closed;

    DeviceGraph(CudaContext context, CUgraph graph, CUgraphExec exec, CUstream stream) {
        this.context = context;
        this.graph = graph;
        this.exec = exec;
        this.stream = stream;
    }

    /** Enqueues the whole recorded work on the stream it was captured from. */
    public void launch() {
        if (closed) {
            throw new IllegalStateException("CUDA graph launched after close");
        }
        context.makeCurrent();
        cuGraphLaunch(exec, stream);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            context.makeCurrent();
            cuGraphExecDestroy(exec);
            cuGraphDestroy(graph);
        }
    }
}
