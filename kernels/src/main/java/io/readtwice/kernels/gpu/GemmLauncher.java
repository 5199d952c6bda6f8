package io.readtwice.kernels.gpu;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

import java.util.Set;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;

/**
 * Launches gemm.cu's kernels: {@code C[M, N] = A[M, K] · B[N, K]ᵀ} in bf16 with float32 accumulation and a fused
 * epilogue, and the float32 → bf16 conversion of staged activations. Checks shapes before launching, since the
 * kernel trusts them.
 */
public final class GemmLauncher {
    /** gemm.cu's CTA tile (BM = BN = 128) and block size. */
    static final int TILE = 128;
    static final int THREADS = 256;
    private static final int CONVERT_THREADS = 256;
    private static final int MAX_CONVERT_BLOCKS = 4096;
    /** The largest grid y dimension CUDA allows. */
    private static final int MAX_GRID_Y = 65535;

    private final CUfunction gemm = new CUfunction();
    private final CUfunction convert = new CUfunction();

    /** Resolves the entry points in a loaded gemm module. */
    public GemmLauncher(CUmodule module) {
        cuModuleGetFunction(gemm, module, "gemm_bf16_mma");
        cuModuleGetFunction(convert, module, "gemm_f32_to_bf16");
    }

    /**
     * Throws unless the kernel can run this shape: K a multiple of 8 (rows are copied 16 bytes at a time), N a
     * multiple of 16 for SwiGLU, M within the grid.
     */
    public static void checkShape(int m, int n, int k, Set<GemmEpilogue> epilogues) {
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("GEMM shape " + m + "×" + n + "×" + k + " has an empty side");
        }
        if (k % 8 != 0) {
            throw new IllegalArgumentException("GEMM inner dimension K = " + k + " is not a multiple of 8");
        }
        if (epilogues.contains(GemmEpilogue.SWIGLU) && n % (2 * SwiGluLayout.GROUP) != 0) {
            throw new IllegalArgumentException("SwiGLU GEMM needs N % 16 == 0, got N = " + n);
        }
        if (gridRows(m) > MAX_GRID_Y) {
            throw new IllegalArgumentException("GEMM with M = " + m + " rows exceeds the grid; launch in row blocks");
        }
    }

    static int gridColumns(int n) {
        return (n + TILE - 1) / TILE;
    }

    static int gridRows(int m) {
        return (m + TILE - 1) / TILE;
    }

    /**
     * Enqueues {@code C = A · Bᵀ} with the epilogue on {@code stream}.
     *
     * @param bias null unless {@link GemmEpilogue#BIAS}
     * @param ldc  C's row stride in elements
     */
    public void gemm(CUdeviceptr a, CUdeviceptr b, CUdeviceptr bias, CUdeviceptr c, int m, int n, int k, int ldc,
                     Set<GemmEpilogue> epilogues, CUstream stream) {
        checkShape(m, n, k, epilogues);
        if (epilogues.contains(GemmEpilogue.BIAS) != (bias != null)) {
            throw new IllegalArgumentException("GEMM bias pointer and BIAS epilogue disagree");
        }
        Pointer params = Pointer.to(Pointer.to(a), Pointer.to(b), Pointer.to(bias != null ? bias : new CUdeviceptr()),
                Pointer.to(c), Pointer.to(new int[] {m}), Pointer.to(new int[] {n}), Pointer.to(new int[] {k}),
                Pointer.to(new int[] {ldc}), Pointer.to(new int[] {GemmEpilogue.mode(epilogues)}));
        cuLaunchKernel(gemm, gridColumns(n), gridRows(m), 1, THREADS, 1, 1, 0, stream, params, null);
    }

    /** Enqueues {@code out[i] = bf16(in[i])} for {@code count} floats. */
    public void toBf16(CUdeviceptr in, CUdeviceptr out, long count, CUstream stream) {
        int blocks = (int) Math.min(MAX_CONVERT_BLOCKS, (count + CONVERT_THREADS - 1) / CONVERT_THREADS);
        Pointer params = Pointer.to(Pointer.to(in), Pointer.to(out), Pointer.to(new long[] {count}));
        cuLaunchKernel(convert, Math.max(1, blocks), 1, 1, CONVERT_THREADS, 1, 1, 0, stream, params, null);
    }

    /** Multiply-adds × 2 of one GEMM, for throughput figures. */
    public static double flops(long m, long n, long k) {
        return 2.0 * m * n * k;
    }
}
