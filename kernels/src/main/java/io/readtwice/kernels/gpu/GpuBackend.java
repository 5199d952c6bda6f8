package io.readtwice.kernels.gpu;

import io.readtwice.kernels.Backend;
import io.readtwice.kernels.CpuBackend;
import io.readtwice.kernels.DeviceError;
import io.readtwice.kernels.LinearAttentionDims;
import io.readtwice.kernels.Matrix;
import io.readtwice.kernels.WeightPrecision;
import io.readtwice.kernels.WindowDims;
import io.readtwice.kernels.cpu.Bf16Matrix;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

/**
 * The GPU behind the {@link Backend} seam, one per executor JVM. Weight matrices are uploaded once as bfloat16
 * into a {@link DeviceArena} and stay resident; every projection ({@link #linear}) runs as gemm.cu's tensor-core
 * GEMM with fp32 accumulation and the bias fused into its epilogue.
 *
 * <p>What stays on the host for now. The seam hands every operation host float32 arrays, so activations are staged
 * per projection: rows go through pinned memory in blocks, with three streams so that block i+1's upload and block
 * i−1's download overlap block i's GEMM. The other operations (norms, SwiGLU's element-wise part, the mixers,
 * the embedding gather) run on the wrapped {@link CpuBackend}. The fully resident forward pass (activations and
 * recurrent state on the device, decode steps as CUDA graphs, prefill in {@link PrefillChunkPlan} chunks, SwiGLU and
 * residual adds fused into the GEMM via {@link GemmEpilogue}) is udf's {@code DeviceLanguageModel} on a
 * {@link GpuDevice}, which {@code --backend gpu} runs; this seam stays for {@code bench} and as
 * {@code -Dreadtwice.gpu.resident=false} (docs/gpu-backend.md).
 *
 * <p>Threads. All task threads of the executor share this backend; JCuda's context is per thread, so every call
 * makes it current, and calls are serialised (one launching thread at a time, gpu-notes §4.2).
 */
public final class GpuBackend implements Backend {
    /** Rows per staged block: large enough for full-speed GEMMs, small enough that blocks overlap. */
    static final int ROWS_PER_BLOCK = 4096;
    /** Share of the device's free memory the arena takes (the rest: CUDA's own use, other processes). */
    private static final double MEMORY_FRACTION = Double.parseDouble(
            System.getProperty("readtwice.gpu.memoryFraction", "0.9"));

    private final CpuBackend host;
    private final CudaContext context;
    private final GemmLauncher gemm;
    private final CudaArenaBlock block = new CudaArenaBlock();
    private final DeviceArena arena;
    private final PinnedStaging stagingIn = new PinnedStaging();
    private final PinnedStaging stagingOut = new PinnedStaging();
    private final CUstream upload = new CUstream();
    private final CUstream compute = new CUstream();
    private final CUstream download = new CUstream();
    private final CUevent[] uploaded = new CUevent[2];
    private final CUevent[] computed = new CUevent[2];
    private final CUevent[] downloaded = new CUevent[2];
    /** Biases go up on first use and stay, keyed by the model's arrays (constant for its lifetime). */
    private final Map<float[], Long> biases = new IdentityHashMap<>();
    /** Host copies of embedding tables, fetched once for the CPU gather. */
    private final Map<DeviceMatrix, short[]> hostTables = new IdentityHashMap<>();
    private final String deviceName;
    private boolean closed;

    /**
     * Opens device 0 (check {@link GpuProbe#available()} first) with {@code hostThreads} threads for the
     * operations that still run on the host.
     */
    public GpuBackend(int hostThreads) {
        if (!GpuProbe.available()) {
            throw new IllegalStateException("--backend gpu: no usable GPU: " + GpuProbe.description());
        }
        this.host = new CpuBackend(hostThreads);
        try {
            JCudaDriver.setExceptionsEnabled(true);
            this.context = CudaContext.open(0);
            this.gemm = new GemmLauncher(context);
            for (CUstream s : new CUstream[] {upload, compute, download}) {
                cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING);
            }
            for (CUevent[] events : new CUevent[][] {uploaded, computed, downloaded}) {
                for (int i = 0; i < events.length; i++) {
                    events[i] = new CUevent();
                    cuEventCreate(events[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
                }
            }
            long[] free = {0};
            long[] total = {0};
            cuMemGetInfo(free, total);
            this.arena = new DeviceArena(block, (long) (free[0] * MEMORY_FRACTION) & -(long) DeviceArena.ALIGNMENT);
        } catch (CudaException e) {
            throw new DeviceError("cannot open the GPU backend: " + e.getMessage(), e);
        }
        this.deviceName = GpuProbe.description();
    }

    @Override
    public String name() {
        return "gpu(" + deviceName + ", bf16 resident weights, tensor-core GEMMs; other ops on " + host.name() + ")";
    }

    /** Uploads the matrix as bf16 whatever {@code precision} asks: the tensor cores read bf16. */
    @Override
    public synchronized Matrix matrix(float[] values, int rows, int cols, WeightPrecision precision) {
        if (values.length != (long) rows * cols) {
            throw new IllegalArgumentException("matrix has " + values.length + " values, expected " + rows + "×"
                    + cols);
        }
        short[] bf16 = new short[values.length];
        for (int i = 0; i < bf16.length; i++) {
            bf16[i] = Bf16Matrix.toBf16(values[i]);
        }
        current();
        long address = arena.resident(2L * bf16.length, "weight " + rows + "×" + cols);
        try {
            cuMemcpyHtoD(block.pointer(address), Pointer.to(bf16), 2L * bf16.length);
        } catch (CudaException e) {
            throw GpuErrors.translate("weight upload", 2L * bf16.length, e);
        }
        return new DeviceMatrix(rows, cols, address);
    }

    /**
     * {@code y = x · wᵀ + bias} on the device. Rows are staged in blocks of {@value #ROWS_PER_BLOCK}, two blocks in
     * flight: upload(i+1) ‖ convert+GEMM(i) ‖ download(i−1), each on its own stream, ordered by events.
     */
    @Override
    public synchronized void linear(float[] x, int xOffset, int rows, Matrix w, float[] bias, float[] y,
                                    int yOffset) {
        DeviceMatrix m = resident(w);
        if (rows == 0) {
            return;
        }
        int in = m.cols();
        int out = m.rows();
        current();
        try {
            Set<GemmEpilogue> epilogue = bias == null ? EnumSet.noneOf(GemmEpilogue.class)
                    : EnumSet.of(GemmEpilogue.BIAS);
            CUdeviceptr biasPointer = bias == null ? null : block.pointer(bias(bias, out));
            int blockRows = Math.min(rows, ROWS_PER_BLOCK);
            int blocks = (rows + blockRows - 1) / blockRows;
            int slots = Math.min(2, blocks);
            long[] xF32 = new long[slots];
            long[] xBf16 = new long[slots];
            long[] yF32 = new long[slots];
            for (int s = 0; s < slots; s++) {
                xF32[s] = arena.scratch(4L * blockRows * in, "staged activations");
                xBf16[s] = arena.scratch(2L * blockRows * in, "bf16 activations");
                yF32[s] = arena.scratch(4L * blockRows * out, "projection output");
            }
            stagingIn.ensureFloats((long) slots * blockRows * in);
            stagingOut.ensureFloats((long) slots * blockRows * out);
            for (int b = 0; b < blocks; b++) {
                int s = b % 2;
                if (b >= 2) {
                    finish(b - 2, blockRows, rows, out, y, yOffset);
                }
                int r0 = b * blockRows;
                int n = Math.min(blockRows, rows - r0);
                long inAt = (long) s * blockRows * in;
                stagingIn.put(inAt, x, xOffset + r0 * in, n * in);
                cuMemcpyHtoDAsync(block.pointer(xF32[s]), stagingIn.at(inAt), 4L * n * in, upload);
                cuEventRecord(uploaded[s], upload);
                cuStreamWaitEvent(compute, uploaded[s], 0);
                gemm.toBf16(block.pointer(xF32[s]), block.pointer(xBf16[s]), (long) n * in, compute);
                gemm.gemm(block.pointer(xBf16[s]), block.pointer(m.address()), biasPointer, block.pointer(yF32[s]),
                        n, out, in, out, epilogue, compute);
                cuEventRecord(computed[s], compute);
                cuStreamWaitEvent(download, computed[s], 0);
                cuMemcpyDtoHAsync(stagingOut.at((long) s * blockRows * out), block.pointer(yF32[s]), 4L * n * out,
                        download);
                cuEventRecord(downloaded[s], download);
            }
            for (int b = Math.max(0, blocks - 2); b < blocks; b++) {
                finish(b, blockRows, rows, out, y, yOffset);
            }
        } catch (CudaException e) {
            throw GpuErrors.translate("linear " + rows + "×" + in + "→" + out, 0, e);
        } finally {
            arena.releaseScratch();
        }
    }

    /** Refused: this overload would upload the weights on every call; make them resident once with matrix(). */
    @Override
    public void linear(float[] x, int xOffset, int rows, int in, float[] w, int out, float[] bias, float[] y,
                       int yOffset) {
        throw new UnsupportedOperationException("the GPU backend keeps weights resident: upload " + out + "×" + in
                + " once with matrix() and pass the handle");
    }

    /** Waits for block {@code b}'s download and copies it out of pinned memory. */
    private void finish(int b, int blockRows, int rows, int out, float[] y, int yOffset) {
        int s = b % 2;
        cuEventSynchronize(downloaded[s]);
        int r0 = b * blockRows;
        int n = Math.min(blockRows, rows - r0);
        stagingOut.get((long) s * blockRows * out, y, yOffset + r0 * out, n * out);
    }

    private long bias(float[] bias, int out) {
        if (bias.length < out) {
            throw new IllegalArgumentException("bias has " + bias.length + " values for " + out + " outputs");
        }
        Long address = biases.get(bias);
        if (address == null) {
            address = arena.resident(4L * out, "bias");
            cuMemcpyHtoD(block.pointer(address), Pointer.to(bias), 4L * out);
            biases.put(bias, address);
        }
        return address;
    }

    /**
     * The most rows one {@link #linear} from {@code in} to {@code out} columns can stage in the arena's scratch
     * (both slots of the pipeline: fp32 and bf16 input, fp32 output per row).
     */
    @Override
    public synchronized int maxLinearRows(int in, int out) {
        return rowsThatFit(arena.scratchCapacity(), in, out);
    }

    static int rowsThatFit(long scratchBytes, int in, int out) {
        long perRow = 2L * (4L * in + 2L * in + 4L * out);
        long slack = 6L * DeviceArena.ALIGNMENT;   // alignment of the six buffers
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, (scratchBytes - slack) / perRow));
    }

    /** The gather runs on the host from a bf16 copy of the table fetched once (the gather kernel is not wired yet). */
    @Override
    public synchronized void embed(Matrix table, int[] tokens, float[] out) {
        DeviceMatrix m = resident(table);
        short[] rows = hostTables.get(m);
        if (rows == null) {
            current();
            rows = new short[m.rows() * m.cols()];
            cuMemcpyDtoH(Pointer.to(rows), block.pointer(m.address()), m.bytes());
            hostTables.put(m, rows);
        }
        int d = m.cols();
        for (int t = 0; t < tokens.length; t++) {
            for (int c = 0; c < d; c++) {
                out[t * d + c] = Bf16Matrix.toFloat(rows[tokens[t] * d + c]);
            }
        }
    }

    @Override
    public void addInPlace(float[] residual, float[] h, int n) {
        host.addInPlace(residual, h, n);
    }

    @Override
    public void rmsNorm(float[] x, int rows, int d, float[] w, float eps, float[] y) {
        host.rmsNorm(x, rows, d, w, eps, y);
    }

    @Override
    public void swiGlu(float[] z, int rows, int hidden, float[] out) {
        host.swiGlu(z, rows, hidden, out);
    }

    @Override
    public void baseConvPrefill(float[] z, int[] seqStart, int channels, float[] conv, int kernel,
                                float[][] convState, float[] out) {
        host.baseConvPrefill(z, seqStart, channels, conv, kernel, convState, out);
    }

    @Override
    public void baseConvStep(float[] z, int batch, int channels, float[] conv, int kernel, float[][] convState,
                             float[] out) {
        host.baseConvStep(z, batch, channels, conv, kernel, convState, out);
    }

    @Override
    public void linearAttentionPrefill(LinearAttentionDims dims, float[] q, float[] k, float[] v, float[] kEnc,
                                       float[] vEnc, int[] seqStart, int[] encStart, int[] maskedKeys,
                                       float[][] state, float[] out) {
        host.linearAttentionPrefill(dims, q, k, v, kEnc, vEnc, seqStart, encStart, maskedKeys, state, out);
    }

    @Override
    public void linearAttentionStep(LinearAttentionDims dims, float[] q, float[] k, float[] v, int batch,
                                    float kvWeight, float[][] state, float[] out) {
        host.linearAttentionStep(dims, q, k, v, batch, kvWeight, state, out);
    }

    @Override
    public void slidingWindowPrefill(WindowDims dims, float[] qkv, int[] seqStart, float[][] keyCache,
                                     float[][] valueCache, float[] out) {
        host.slidingWindowPrefill(dims, qkv, seqStart, keyCache, valueCache, out);
    }

    @Override
    public void slidingWindowStep(WindowDims dims, float[] qkv, int[] positions, float[][] keyCache,
                                  float[][] valueCache, float[] out) {
        host.slidingWindowStep(dims, qkv, positions, keyCache, valueCache, out);
    }

    /** Bytes the weights take on the device. */
    public synchronized long residentBytes() {
        return arena.residentBytes();
    }

    /** The most device bytes in use at once so far (weights plus the largest call's staging). */
    public synchronized long peakBytes() {
        return arena.peakBytes();
    }

    /** Frees the device memory; the JVM's end does the same (executors keep the backend for their lifetime). */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        current();
        stagingIn.close();
        stagingOut.close();
        arena.close();
        for (CUevent[] events : new CUevent[][] {uploaded, computed, downloaded}) {
            for (CUevent e : events) {
                cuEventDestroy(e);
            }
        }
        for (CUstream s : new CUstream[] {upload, compute, download}) {
            cuStreamDestroy(s);
        }
        context.close();
    }

    private DeviceMatrix resident(Matrix w) {
        if (w instanceof DeviceMatrix m) {
            return m;
        }
        throw new IllegalArgumentException("matrix " + w.rows() + "×" + w.cols() + " was not made by this GPU "
                + "backend (" + w.getClass().getSimpleName() + ")");
    }

    private void current() {
        if (closed) {
            throw new IllegalStateException("the GPU backend is closed");
        }
        context.makeCurrent();
    }
}
