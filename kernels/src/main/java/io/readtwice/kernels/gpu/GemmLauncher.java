package io.readtwice.kernels.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

import java.util.List;
import java.util.Set;

/**
 * Launches gemm.cu's kernels: {@code C[M, N] = A[M, K] · B[N, K]ᵀ} in bf16 with float32 accumulation and a fused
 * epilogue, and the float32 → bf16 conversion of staged activations. Checks shapes before launching, since the
 * kernel trusts them.
 */
public final class GemmLauncher {
    static final String MODULE = "gemm";
    static final String GEMM = "gemm_bf16_mma";
    static final String CONVERT = "gemm_f32_to_bf16";
    static final List<String> KERNELS = List.of(GEMM, CONVERT);
    /** gemm.cu's CTA tile (BM = BN = 128) and block size; its 48 KiB of shared memory is static. */
    static final int TILE = 128;
    static final int THREADS = 256;
    private static final int CONVERT_THREADS = 256;
    private static final int MAX_CONVERT_BLOCKS = 4096;

    private final Kernel gemm;
    private final Kernel convert;

    public GemmLauncher(CudaContext context) {
        KernelModule module = context.module(MODULE);
        this.gemm = module.kernel(GEMM);
        this.convert = module.kernel(CONVERT);
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
        if (gridRows(m) > LaunchShape.MAX_GRID_YZ) {
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
        gemm.launch(LaunchShape.grid(gridColumns(n), gridRows(m), THREADS, 0), new KernelArgs().pointer(a).pointer(b)
                .pointer(bias).pointer(c).i32(m).i32(n).i32(k).i32(ldc).i32(GemmEpilogue.mode(epilogues)), stream);
    }

    /** Enqueues {@code out[i] = bf16(in[i])} for {@code count} floats. */
    public void toBf16(CUdeviceptr in, CUdeviceptr out, long count, CUstream stream) {
        int blocks = (int) Math.min(MAX_CONVERT_BLOCKS, (count + CONVERT_THREADS - 1) / CONVERT_THREADS);
        convert.launch(LaunchShape.grid(Math.max(1, blocks), 1, CONVERT_THREADS, 0),
                new KernelArgs().pointer(in).pointer(out).i64(count), stream);
    }

    /** Multiply-adds × 2 of one GEMM, for throughput figures. */
    public static double flops(long m, long n, long k) {
        return 2.0 * m * n * k;
    }
}
