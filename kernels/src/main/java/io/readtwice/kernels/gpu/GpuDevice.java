package io.readtwice.kernels.gpu;

import io.readtwice.kernels.DeviceError;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.util.EnumSet;
import java.util.Set;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

/**
 * One GPU as the device-resident model uses it: the context, one stream that every kernel launcher enqueues on (in
 * order, so consecutive operations need no events), device memory blocks, the stream-ordered copies between them,
 * host transfers at the edges (tokens in, logits out) and CUDA graph capture of the stream. Everything in terms of
 * {@link DeviceBuffer}s, so that the model code outside this package sees no JCuda type.
 *
 * <p>Threads: one owner at a time (the model serialises its calls); JCuda's context is per thread, so every entry
 * point makes it current.
 */
public final class GpuDevice implements AutoCloseable {
    private final CudaContext context;
    private final CUstream stream = new CUstream();
    private final GemmLauncher gemm;
    private final ElementwiseGpu elementwise;
    private final LinearAttentionGpu linearAttention;
    private final SlidingWindowGpu slidingWindow;
    private final BaseConvGpu baseConv;
    private final VocabGpu vocab;
    private final String name;
    private boolean closed;

    private GpuDevice(CudaContext context) {
        this.context = context;
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        this.gemm = new GemmLauncher(context);
        this.elementwise = new ElementwiseGpu(context, stream);
        this.linearAttention = new LinearAttentionGpu(context, stream);
        this.slidingWindow = new SlidingWindowGpu(context, stream);
        this.baseConv = new BaseConvGpu(context, stream);
        this.vocab = new VocabGpu(context, stream);
        this.name = GpuProbe.description();
    }

    /** Opens device 0; check {@link GpuProbe#available()} first. */
    public static GpuDevice open() {
        if (!GpuProbe.available()) {
            throw new IllegalStateException("no usable GPU: " + GpuProbe.description());
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
            return new GpuDevice(CudaContext.open(0));
        } catch (CudaException e) {
            throw new DeviceError("cannot open the GPU: " + e.getMessage(), e);
        }
    }

    /**
     * A CUDA error thrown by any call on this device as the seam's failure kinds ({@link
     * io.readtwice.kernels.DeviceOutOfMemory}: retry smaller; {@link DeviceError}: the device failed); anything else
     * as it is. For callers outside this package, which see no JCuda type.
     */
    public static RuntimeException translate(String what, RuntimeException e) {
        return e instanceof CudaException cuda ? GpuErrors.translate(what, 0, cuda) : e;
    }

    public String name() {
        return name;
    }

    /** Device memory not in use by anyone now (this process's blocks included as used). */
    public long freeBytes() {
        context.makeCurrent();
        long[] free = {0};
        long[] total = {0};
        cuMemGetInfo(free, total);
        return free[0];
    }

    /** A block of {@code bytes} carved into buffers; throws DeviceOutOfMemory when it does not fit. */
    public DeviceMemory allocate(long bytes) {
        return new DeviceMemory(context, bytes);
    }

    public ElementwiseGpu elementwise() {
        return elementwise;
    }

    public LinearAttentionGpu linearAttention() {
        return linearAttention;
    }

    public SlidingWindowGpu slidingWindow() {
        return slidingWindow;
    }

    public BaseConvGpu baseConv() {
        return baseConv;
    }

    public VocabGpu vocab() {
        return vocab;
    }

    /** Row ranges of packed sequences, uploaded (synchronously: call between steps, not while capturing). */
    public PackedSequences sequences(int[] starts) {
        synchronize();
        return PackedSequences.upload(context, starts);
    }

    /**
     * Enqueues {@code c = a · wᵀ} (+ the epilogues) with gemm.cu: a bf16 {@code [m, k]}, w bf16 {@code [n, k]}, c
     * float32 {@code [m, n]} (bf16 with {@link GemmEpilogue#OUT_BF16}; {@code [m, n/2]} with
     * {@link GemmEpilogue#SWIGLU}); bias float32 {@code [n]} or null.
     */
    public void gemm(DeviceBuffer a, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer c, int m, int n, int k,
                     Set<GemmEpilogue> epilogues) {
        String op = "gemm " + m + "×" + k + "→" + n;
        ArgumentChecks.holds(op, "a", a, ElementType.BF16, (long) m * k, "[m, k]");
        ArgumentChecks.holds(op, "w", w, ElementType.BF16, (long) n * k, "[n, k]");
        int columns = epilogues.contains(GemmEpilogue.SWIGLU) ? n / 2 : n;
        ElementType out = epilogues.contains(GemmEpilogue.OUT_BF16) ? ElementType.BF16 : ElementType.F32;
        ArgumentChecks.holds(op, "c", c, out, (long) m * columns, "[m, n]");
        Set<GemmEpilogue> modes = epilogues.isEmpty() ? EnumSet.noneOf(GemmEpilogue.class) : EnumSet.copyOf(epilogues);
        if (bias != null) {
            ArgumentChecks.holds(op, "bias", bias, ElementType.F32, n, "[n]");
            modes.add(GemmEpilogue.BIAS);
        }
        gemm.gemm(a.pointer(), w.pointer(), bias == null ? null : bias.pointer(), c.pointer(), m, n, k, columns, modes,
                stream);
    }

    /** Enqueues {@code out = bf16(in)} for {@code count} floats. */
    public void toBf16(DeviceBuffer in, DeviceBuffer out, long count) {
        ArgumentChecks.holds("toBf16", "in", in, ElementType.F32, count, "[count]");
        ArgumentChecks.holds("toBf16", "out", out, ElementType.BF16, count, "[count]");
        gemm.toBf16(in.pointer(), out.pointer(), count, stream);
    }

    /** Enqueues a copy of the first {@code count} elements of {@code from} into {@code to}. */
    public void copy(DeviceBuffer from, DeviceBuffer to, long count) {
        if (from.type() != to.type() || count > from.elements() || count > to.elements()) {
            throw new IllegalArgumentException("copy of " + count + " elements from " + from.type() + "["
                    + from.elements() + "] to " + to.type() + "[" + to.elements() + "]");
        }
        cuMemcpyDtoDAsync(to.pointer(), from.pointer(), count * from.type().bytes(), stream);
    }

    /** Enqueues setting every byte of {@code buffer} to 0. */
    public void zero(DeviceBuffer buffer) {
        cuMemsetD8Async(buffer.pointer(), (byte) 0, buffer.bytes(), stream);
    }

    /** Waits for the stream, then copies {@code values} in (synchronous; not while capturing). */
    public void upload(int[] values, DeviceBuffer to) {
        ArgumentChecks.holds("upload", "to", to, ElementType.I32, values.length, "[n]");
        synchronize();
        cuMemcpyHtoD(to.pointer(), Pointer.to(values), 4L * values.length);
    }

    /** Uploads float32 values, rounded to bf16 for a bf16 buffer (synchronous; weights, once). */
    public void upload(float[] values, DeviceBuffer to) {
        synchronize();
        to.upload(values);
    }

    /** Waits for the stream, then copies the first {@code values.length} float32 elements of {@code from} out. */
    public void download(DeviceBuffer from, float[] values) {
        ArgumentChecks.holds("download", "from", from, ElementType.F32, values.length, "[n]");
        synchronize();
        cuMemcpyDtoH(Pointer.to(values), from.pointer(), 4L * values.length);
    }

    /** Waits for the stream, then copies the first {@code values.length} int32 elements of {@code from} out. */
    public void download(DeviceBuffer from, int[] values) {
        ArgumentChecks.holds("download", "from", from, ElementType.I32, values.length, "[n]");
        synchronize();
        cuMemcpyDtoH(Pointer.to(values), from.pointer(), 4L * values.length);
    }

    /** Waits until everything enqueued so far has run; errors of earlier launches surface here. */
    public void synchronize() {
        context.makeCurrent();
        cuStreamSynchronize(stream);
    }

    /**
     * Records what {@code enqueue} puts on the stream into a graph instead of running it. {@code enqueue} must only
     * enqueue (kernels, async copies, memsets): a synchronous copy or a stream synchronisation while capturing is an
     * error. The capture is thread-local, so other threads' CUDA calls are not affected.
     */
    public DeviceGraph capture(Runnable enqueue) {
        context.makeCurrent();
        cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        CUgraph graph = new CUgraph();
        try {
            enqueue.run();
        } catch (RuntimeException e) {
            try {
                cuStreamEndCapture(stream, graph);
                cuGraphDestroy(graph);
            } catch (CudaException ignored) {
                // the capture is already invalid; the first error is the one to report
            }
            throw e;
        }
        cuStreamEndCapture(stream, graph);
        CUgraphExec exec = new CUgraphExec();
        try {
            cuGraphInstantiate(exec, graph, 0);
        } catch (CudaException e) {
            cuGraphDestroy(graph);
            throw e;
        }
        return new DeviceGraph(context, graph, exec, stream);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        context.makeCurrent();
        cuStreamSynchronize(stream);
        cuStreamDestroy(stream);
        context.close();
    }
}
