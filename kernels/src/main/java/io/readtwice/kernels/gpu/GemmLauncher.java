package io.readtwice.kernels.gpu;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Launches gemm.cu's kernels: {@code C[M, N] = A[M, K] · B[N, K]ᵀ} in bf16 with float32 accumulation and a fused
 * epilogue, and the float32 → bf16 conversion of staged activations. Checks shapes before launching, since the
 * kernel trusts them.
 *
 * <p>Two GEMM kernels, one contract: gemm_bf16_mma (mma.sync, any sm_80+ device) and gemm_bf16_wgmma (Hopper
 * warpgroup MMA, sm_90a). {@link #gemm} takes wgmma on compute capability 9.0 for shapes that fill its 128×256 tile
 * ({@link #wgmmaQualifies}), once {@link GemmSelfCheck} has compared the two kernels in this context (or
 * {@code -Dreadtwice.gpu.gemm} forced a choice); everything else runs mma.sync.
 */
public final class GemmLauncher {
    static final String MODULE = "gemm";
    static final String GEMM = "gemm_bf16_mma";
    static final String WGMMA = "gemm_bf16_wgmma";
    static final String CONVERT = "gemm_f32_to_bf16";
    static final List<String> KERNELS = List.of(GEMM, WGMMA, CONVERT);
    /** gemm_bf16_mma's CTA tile (BM = BN = 128) and block size; its 48 KiB of shared memory is static. */
    static final int TILE = 128;
    static final int THREADS = 256;
    /** gemm_bf16_wgmma's CTA tile (128 × 256), block (two warpgroups) and dynamic shared memory (gemm.cu wg::). */
    static final int WGMMA_TILE_M = 128;
    static final int WGMMA_TILE_N = 256;
    static final int WGMMA_THREADS = 256;
    static final int WGMMA_SHARED_BYTES = 197632;
    private static final int CONVERT_THREADS = 256;
    private static final int MAX_CONVERT_BLOCKS = 4096;
    private static final System.Logger LOG = System.getLogger(GemmLauncher.class.getName());
    /** The self-check's decision per context: made once, whichever launcher asks first. */
    private static final Map<CudaContext, GemmSelfCheck.Decision> DECISIONS = new WeakHashMap<>();

    private final CudaContext context;
    private final Kernel gemm;
    private final Kernel wgmma;
    private final Kernel convert;
    /** False for the self-check's own launcher, which must not ask for the decision it is computing. */
    private final boolean dispatch;
    private volatile GemmSelfCheck.Choice choice;

    public GemmLauncher(CudaContext context) {
        this(context, true);
    }

    private GemmLauncher(CudaContext context, boolean dispatch) {
        this.context = context;
        KernelModule module = context.module(MODULE);
        this.gemm = module.kernel(GEMM);
        this.wgmma = module.kernel(WGMMA);
        this.convert = module.kernel(CONVERT);
        this.dispatch = dispatch;
    }

    /** A launcher that never runs the self-check (for the check itself; {@link #launch} picks the kernel). */
    static GemmLauncher unchecked(CudaContext context) {
        return new GemmLauncher(context, false);
    }

    /**
     * Whether wgmma is worth launching for this shape: at least half a 128×256 tile of rows and columns (smaller
     * ones, e.g. decode steps of a few rows, waste most of its tile and go to mma.sync's 128×128).
     */
    static boolean wgmmaQualifies(int m, int n) {
        return m >= WGMMA_TILE_M / 2 && n >= WGMMA_TILE_N / 2;
    }

    /** The kernel this context uses for qualifying shapes; the first call may run the self-check (~1 s). */
    GemmSelfCheck.Choice choice() {
        GemmSelfCheck.Choice c = choice;
        if (c == null) {
            synchronized (DECISIONS) {
                GemmSelfCheck.Decision d = DECISIONS.get(context);
                if (d == null) {
                    d = GemmSelfCheck.decide(System.getProperty(GemmSelfCheck.PROPERTY), context.computeCapability(),
                            () -> GemmSelfCheck.onDevice(context.ordinal()));
                    context.makeCurrent();
                    if (d.warning() != null) {
                        LOG.log(System.Logger.Level.WARNING, d.warning());
                    } else {
                        LOG.log(System.Logger.Level.INFO, "GEMM kernel: " + d.reason());
                    }
                    DECISIONS.put(context, d);
                }
                c = d.choice();
            }
            choice = c;
        }
        return c;
    }

    /** "wgmma" or "mma.sync": what {@link #gemm} runs for an {@code m × n} output (for benchmark reports). */
    public String kernelFor(int m, int n) {
        return dispatch && wgmmaQualifies(m, n) && choice() == GemmSelfCheck.Choice.WGMMA ? "wgmma" : "mma.sync";
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
        GemmSelfCheck.Choice which = dispatch && wgmmaQualifies(m, n) ? choice() : GemmSelfCheck.Choice.MMA_SYNC;
        launch(which, a, b, bias, c, m, n, k, ldc, epilogues, stream);
    }

    /** {@link #gemm} on the kernel {@code which}, whatever the dispatch rule says (tests, the self-check). */
    void launch(GemmSelfCheck.Choice which, CUdeviceptr a, CUdeviceptr b, CUdeviceptr bias, CUdeviceptr c, int m,
                int n, int k, int ldc, Set<GemmEpilogue> epilogues, CUstream stream) {
        checkShape(m, n, k, epilogues);
        if (epilogues.contains(GemmEpilogue.BIAS) != (bias != null)) {
            throw new IllegalArgumentException("GEMM bias pointer and BIAS epilogue disagree");
        }
        KernelArgs args = new KernelArgs().pointer(a).pointer(b).pointer(bias).pointer(c).i32(m).i32(n).i32(k)
                .i32(ldc).i32(GemmEpilogue.mode(epilogues));
        if (which == GemmSelfCheck.Choice.WGMMA) {
            if (context.computeCapability() != 90) {
                throw new IllegalStateException("gemm_bf16_wgmma runs on sm_90 only, this device is sm_"
                        + context.computeCapability());
            }
            wgmma.launch(LaunchShape.grid(wgmmaGridColumns(n), gridRows(m), WGMMA_THREADS, WGMMA_SHARED_BYTES),
                    args, stream);
        } else {
            gemm.launch(LaunchShape.grid(gridColumns(n), gridRows(m), THREADS, 0), args, stream);
        }
    }

    static int wgmmaGridColumns(int n) {
        return (n + WGMMA_TILE_N - 1) / WGMMA_TILE_N;
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
