// gemm.cu: the bf16 tensor-core GEMM behind every projection of the model (gpu-notes §3.5, option 1).
//
//   C[M, N] = A[M, K] · B[N, K]ᵀ (+ bias[N]), fp32 accumulation
//   A: activations, row-major bf16 [tokens, in]; B: an nn.Linear weight [out, in], row-major bf16. Both are
//   K-contiguous, so one non-transposing ldmatrix feeds both mma operands.
//
// Fused epilogues, chosen by the mode bits (same values as GemmEpilogue.java):
//   GEMM_BIAS        add bias[n] (fp32)
//   GEMM_OUT_BF16    store bf16 instead of fp32
//   GEMM_ACCUMULATE  C += result (fp32 C): the residual add of spec §2
//   GEMM_SWIGLU      B's rows come interleaved in groups of 8 (u0..u7, g0..g7, u8..u15, g8..g15, ...) so that a
//                    thread holds u and g of the same outputs: C[m, j] = u·silu(g), C has N/2 columns (fc1 of the
//                    MLP, value half first in the checkpoint; SwiGluLayout.java does the interleave at upload)
//
// Requirements (checked by GemmLauncher.java): K % 8 == 0 (16-byte cp.async rows), A and B 16-byte aligned,
// N % 16 == 0 with GEMM_SWIGLU. M and N need not be tile multiples: rows and columns outside are zero-filled.
//
// gemm_bf16_mma: mma.sync.m16n8k16 (sm_80+). CTA tile 128×128×32, 8 warps as 2×4 (64×32 each), 3-stage cp.async
// pipeline, XOR-swizzled shared tiles so that each ldmatrix phase touches 8 distinct 16-byte bank groups.
// 48 KB of static shared memory: no cuFuncSetAttribute needed.
//
// gemm_bf16_wgmma: the same contract on Hopper warpgroup MMA (sm_90a only; empty elsewhere), described at its
// definition below. GemmLauncher picks it on compute capability 9.0 after a self-check against gemm_bf16_mma.
//
// CPU twin: io.readtwice.kernels.cpu.Gemm#linear (the tests compare against a float64 reference of it).
// Build: kernels/build-cuda.sh (sm_90a + sm_80 SASS + compute_80 PTX in gemm.fatbin).

#include <cuda_bf16.h>
#include <stdint.h>

#define GEMM_BIAS 1
#define GEMM_OUT_BF16 2
#define GEMM_ACCUMULATE 4
#define GEMM_SWIGLU 8

namespace {

constexpr int BM = 128;
constexpr int BN = 128;
constexpr int BK = 32;
constexpr int STAGES = 3;
constexpr int THREADS = 256;
constexpr int WARPS_N = 4;
constexpr int WM = 64;              // warp tile rows
constexpr int WN = 32;              // warp tile columns
constexpr int MT = WM / 16;         // m16 tiles per warp
constexpr int NT = WN / 8;          // n8 tiles per warp
constexpr int CHUNKS = BK / 8;      // 16-byte chunks per shared row

__device__ __forceinline__ uint32_t shared_address(const void* p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Element offset of 16-byte chunk `chunk` of row `row` in a [rows, BK] tile. Rows are 64 bytes, so 8 consecutive
// rows span 4 bank lines; XOR-ing the chunk with (row/2)%4 spreads an 8-row ldmatrix phase over all 32 banks.
__device__ __forceinline__ int swizzled(int row, int chunk) {
    return row * BK + ((chunk ^ ((row >> 1) & 3)) << 3);
}

__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}

__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Copies rows [row0, row0 + 128) × columns [k0, k0 + 32) of a K-contiguous bf16 matrix into a swizzled tile;
// chunks outside the matrix are zero-filled (cp.async with source size 0 reads nothing).
__device__ __forceinline__ void load_tile(__nv_bfloat16* tile, const __nv_bfloat16* matrix, int rows, int K, int row0,
                                          int k0) {
    for (int c = threadIdx.x; c < BM * CHUNKS; c += THREADS) {
        int row = c / CHUNKS;
        int chunk = c % CHUNKS;
        int r = row0 + row;
        int k = k0 + chunk * 8;
        bool inside = r < rows && k < K;
        const __nv_bfloat16* src = inside ? matrix + static_cast<size_t>(r) * K + k : matrix;
        cp_async_16(shared_address(tile + swizzled(row, chunk)), src, inside ? 16 : 0);
    }
}

__device__ __forceinline__ float silu(float x) {
    return x / (1.0f + __expf(-x));
}

__device__ __forceinline__ void store(void* C, int ldc, int M, int columns, int row, int col, float v, int mode) {
    if (row >= M || col >= columns) {
        return;
    }
    size_t at = static_cast<size_t>(row) * ldc + col;
    if (mode & GEMM_OUT_BF16) {
        static_cast<__nv_bfloat16*>(C)[at] = __float2bfloat16(v);
    } else if (mode & GEMM_ACCUMULATE) {
        static_cast<float*>(C)[at] += v;
    } else {
        static_cast<float*>(C)[at] = v;
    }
}

}  // namespace

// Grid: (ceil(N / 128), ceil(M / 128)), block: 256 threads. ldc is C's row stride in elements (N, or N/2 with
// GEMM_SWIGLU, when C is dense).
extern "C" __global__ void gemm_bf16_mma(const __nv_bfloat16* A, const __nv_bfloat16* B, const float* bias, void* C,
                                         int M, int N, int K, int ldc, int mode) {
    __shared__ __align__(128) __nv_bfloat16 sA[STAGES][BM * BK];
    __shared__ __align__(128) __nv_bfloat16 sB[STAGES][BN * BK];

    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warpRow = (warp / WARPS_N) * WM;
    const int warpCol = (warp % WARPS_N) * WN;
    const int row0 = blockIdx.y * BM;
    const int col0 = blockIdx.x * BN;
    const int kTiles = (K + BK - 1) / BK;

    float acc[MT][NT][4];
#pragma unroll
    for (int i = 0; i < MT; i++) {
#pragma unroll
        for (int j = 0; j < NT; j++) {
            acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.0f;
        }
    }

    // Prologue: the first STAGES-1 k-tiles in flight.
#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < kTiles) {
            load_tile(sA[s], A, M, K, row0, s * BK);
            load_tile(sB[s], B, N, K, col0, s * BK);
        }
        cp_async_commit();
    }

    for (int kt = 0; kt < kTiles; kt++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();  // tile kt landed for every thread, and every warp is done with the stage refilled next
        int next = kt + STAGES - 1;
        if (next < kTiles) {
            load_tile(sA[next % STAGES], A, M, K, row0, next * BK);
            load_tile(sB[next % STAGES], B, N, K, col0, next * BK);
        }
        cp_async_commit();

        const __nv_bfloat16* a = sA[kt % STAGES];
        const __nv_bfloat16* b = sB[kt % STAGES];
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++) {
            uint32_t af[MT][4];
            uint32_t bf[NT][2];
#pragma unroll
            for (int i = 0; i < MT; i++) {
                // lanes 0-15: rows 0-15 at k 0-7; lanes 16-31: the same rows at k 8-15 (= mma a0..a3)
                int row = warpRow + i * 16 + (lane & 15);
                ldmatrix_x4(af[i], shared_address(a + swizzled(row, kk * 2 + (lane >> 4))));
            }
#pragma unroll
            for (int p = 0; p < NT / 2; p++) {
                // matrices: (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k 8-15) = b0, b1 of two n8 tiles
                int n = warpCol + p * 16 + (lane & 7) + ((lane >> 4) << 3);
                uint32_t r[4];
                ldmatrix_x4(r, shared_address(b + swizzled(n, kk * 2 + ((lane >> 3) & 1))));
                bf[2 * p][0] = r[0];
                bf[2 * p][1] = r[1];
                bf[2 * p + 1][0] = r[2];
                bf[2 * p + 1][1] = r[3];
            }
#pragma unroll
            for (int i = 0; i < MT; i++) {
#pragma unroll
                for (int j = 0; j < NT; j++) {
                    mma_bf16_16816(acc[i][j], af[i], bf[j][0], bf[j][1]);
                }
            }
        }
    }
    cp_async_wait<0>();

    // Epilogue. Accumulator layout of m16n8: c0, c1 at (lane/4, 2·(lane%4) + {0, 1}), c2, c3 eight rows below.
    const bool swiglu = mode & GEMM_SWIGLU;
    const int columns = swiglu ? N / 2 : N;
#pragma unroll
    for (int i = 0; i < MT; i++) {
        int row = row0 + warpRow + i * 16 + (lane >> 2);
#pragma unroll
        for (int j = 0; j < NT; j++) {
            int col = col0 + warpCol + j * 8 + 2 * (lane & 3);
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int c = col + (e & 1);
                if ((mode & GEMM_BIAS) && c < N) {
                    acc[i][j][e] += bias[c];
                }
            }
        }
        if (swiglu) {
#pragma unroll
            for (int p = 0; p < NT / 2; p++) {
                // n8 tile 2p holds u, tile 2p+1 the g of the same 8 outputs; they start at (group of 16) / 2
                int out = (col0 + warpCol + p * 16) / 2 + 2 * (lane & 3);
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    float u = acc[i][2 * p][e];
                    float g = acc[i][2 * p + 1][e];
                    store(C, ldc, M, columns, row + (e >> 1) * 8, out + (e & 1), u * silu(g), mode);
                }
            }
        } else {
#pragma unroll
            for (int j = 0; j < NT; j++) {
                int col = col0 + warpCol + j * 8 + 2 * (lane & 3);
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    store(C, ldc, M, columns, row + (e >> 1) * 8, col + (e & 1), acc[i][j][e], mode);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// gemm_bf16_wgmma: the same contract (arguments, epilogues, requirements) on Hopper warpgroup MMA, sm_90a only.
//
// CTA tile 128×256×64, 256 threads = 2 warpgroups; warpgroup w computes rows [64w, 64w + 64) × all 256 columns
// with wgmma.mma_async.m64n256k16 (f32 += bf16·bf16, both operands from shared memory through matrix
// descriptors), 128 fp32 accumulators per thread.
//
// Shared layout: STAGES = 4 stages of A [128 rows × 64 k] (16 KiB) then B [256 rows × 64 k] (32 KiB), each row
// 128 bytes = one 128-byte swizzle row, K-major ("no transpose" for both operands: A is [M, K], B is [N, K]).
// 16-byte chunk c of row r lives at r·128 + ((c ^ (r % 8)) · 16): the 128B swizzle of the PTX ISA's canonical
// K-major layout, whose 8-row × 128-byte atoms are 1024 bytes apart (descriptor stride byte offset 1024; the
// leading byte offset is unused for swizzled K-major operands and set to 16 bytes by convention). Stage bases are
// 1024-byte aligned (the dynamic buffer is rounded up), so the hardware's address-based XOR matches the layout the
// copies wrote and the descriptor's base offset is 0. The four k16 steps of a 64-wide k-tile advance the
// descriptor's start address by 32 bytes inside the swizzle row.
//
// Pipeline (no warp specialisation, no mbarriers: every thread copies, both warpgroups compute). k-tile kt:
//   1. cp.async.wait_group(STAGES-3): this thread's copies of tile kt have landed;
//   2. fence.proxy.async.shared::cta: they become visible to the async proxy that wgmma reads through;
//   3. __syncthreads(): every thread's copies of kt are in; and each warpgroup has passed wgmma.wait_group(1) of
//      iteration kt-1, so the wgmmas of tile kt-2 are complete and their stage can be overwritten;
//   4. cp.async tile kt+STAGES-2 into the stage of tile kt-2 (zero-filled outside the matrix), commit;
//   5. wgmma.fence, 4 × wgmma on stage kt, wgmma.commit_group, wgmma.wait_group(1): the MMAs of tile kt overlap
//      the next iteration's wait and copies.
// So two k-tiles are being copied while one is multiplied. Why not TMA + a producer warpgroup + mbarriers: JCuda
// 12.6 does not bind cuTensorMapEncodeTiled, and nothing of this could be run before shipping (no GPU lent): a
// wrong mbarrier phase deadlocks the kernel, which no self-check can recover from, whereas every failure of this
// form (wrong layout, wrong descriptor) shows up as wrong numbers that GemmLauncher's self-check catches.
//
// 48 KiB per stage × 4 + 1 KiB for alignment = 197632 bytes of dynamic shared memory (GemmLauncher opts in); one
// CTA per SM. Grid: (ceil(N / 256), ceil(M / 128)). On anything but sm_90a (the sm_80 and compute_80 builds of
// this module) the entry point exists with an empty body: GemmLauncher launches it only on compute capability 9.0.

namespace wg {

constexpr int BM = 128;
constexpr int BN = 256;
constexpr int BK = 64;              // bf16 elements = 128 bytes = one swizzle row
constexpr int STAGES = 4;
constexpr int THREADS = 256;
constexpr int ROW_BYTES = BK * 2;
constexpr int A_BYTES = BM * ROW_BYTES;
constexpr int B_BYTES = BN * ROW_BYTES;
constexpr int STAGE_BYTES = A_BYTES + B_BYTES;
constexpr int SHARED_BYTES = STAGES * STAGE_BYTES + 1024;
static_assert(SHARED_BYTES == 197632, "GemmLauncher.WGMMA_SHARED_BYTES");
static_assert(THREADS == 2 * 128 && BM == 2 * 64, "two warpgroups of 64 rows each");

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

// Copies rows [row0, row0 + tileRows) × k [k0, k0 + 64) of a K-contiguous bf16 matrix into the 128B-swizzled tile
// at shared address `tile`; chunks outside the matrix are zero-filled.
__device__ __forceinline__ void load_tile(uint32_t tile, const __nv_bfloat16* matrix, int rows, int K, int row0,
                                          int k0, int tileRows) {
    for (int i = threadIdx.x; i < tileRows * 8; i += THREADS) {
        int row = i >> 3;
        int chunk = i & 7;
        int r = row0 + row;
        int k = k0 + chunk * 8;
        bool inside = r < rows && k < K;
        const __nv_bfloat16* src = inside ? matrix + static_cast<size_t>(r) * K + k : matrix;
        cp_async_16(tile + row * ROW_BYTES + ((chunk ^ (row & 7)) << 4), src, inside ? 16 : 0);
    }
}

// store() of two adjacent outputs (col even): one 8-byte (fp32) or 4-byte (bf16) access where the pair is inside C,
// ldc is even and C aligned for it; element by element otherwise.
__device__ __forceinline__ void store2(void* C, int ldc, int M, int columns, int row, int col, float v0, float v1,
                                       int mode) {
    if (row >= M) {
        return;
    }
    const bool bf16 = mode & GEMM_OUT_BF16;
    const uintptr_t align = bf16 ? 3 : 7;
    if (col + 1 < columns && (ldc & 1) == 0 && (reinterpret_cast<uintptr_t>(C) & align) == 0) {
        size_t at = static_cast<size_t>(row) * ldc + col;
        if (bf16) {
            *reinterpret_cast<__nv_bfloat162*>(static_cast<__nv_bfloat16*>(C) + at) = __floats2bfloat162_rn(v0, v1);
        } else if (mode & GEMM_ACCUMULATE) {
            float2* p = reinterpret_cast<float2*>(static_cast<float*>(C) + at);
            float2 old = *p;
            *p = make_float2(old.x + v0, old.y + v1);
        } else {
            *reinterpret_cast<float2*>(static_cast<float*>(C) + at) = make_float2(v0, v1);
        }
    } else {
        store(C, ldc, M, columns, row, col, v0, mode);
        store(C, ldc, M, columns, row, col + 1, v1, mode);
    }
}

// Shared-memory matrix descriptor: start address >> 4 (bits 0-13), leading byte offset >> 4 (16-29), stride byte
// offset >> 4 (32-45), base offset 0 (49-51), layout 1 = 128-byte swizzle (62-63).
__device__ __forceinline__ uint64_t descriptor(uint32_t address) {
    return static_cast<uint64_t>((address & 0x3FFFF) >> 4) | (static_cast<uint64_t>(16 >> 4) << 16)
           | (static_cast<uint64_t>(1024 >> 4) << 32) | (static_cast<uint64_t>(1) << 62);
}

__device__ __forceinline__ void fence_proxy_async() {
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}

__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}

template <int N>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

// Keeps the compiler from moving accumulator reads or writes across the asynchronous MMAs.
__device__ __forceinline__ void fence_operands(float (&d)[128]) {
#pragma unroll
    for (int i = 0; i < 128; i++) {
        asm volatile("" : "+f"(d[i])::"memory");
    }
}

// D[64 × 256] (+)= A[64 × 16] · B[256 × 16]ᵀ; scaleD = 0 ignores D's old value. D fragment of thread t (warp
// w = t / 32, lane l): d[4j + e] is row 16w + l/4 + 8·(e/2), column 8j + 2·(l%4) + e%2 (j = 0..31).
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], uint64_t descA, uint64_t descB, int scaleD) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
        "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
        "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
        "}, %128, %129, p, 1, 1, 0, 0;\n"
        "}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
          "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
          "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
          "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "l"(descA), "l"(descB), "r"(scaleD));
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

}  // namespace wg

// Block: 256 threads (wg::THREADS), dynamic shared memory wg::SHARED_BYTES. (No __launch_bounds__: build-cuda.sh
// takes the entry name from the declaration line.)
extern "C" __global__ void gemm_bf16_wgmma(const __nv_bfloat16* A, const __nv_bfloat16* B, const float* bias, void* C,
                                           int M, int N, int K, int ldc, int mode) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ __align__(1024) unsigned char wg_shared[];
    const uint32_t base = (shared_address(wg_shared) + 1023u) & ~1023u;
    const int group = threadIdx.x >> 7;         // warpgroup: rows [64·group, 64·group + 64) of the tile
    const int warp = (threadIdx.x >> 5) & 3;    // warp within the warpgroup
    const int lane = threadIdx.x & 31;
    const int row0 = blockIdx.y * wg::BM;
    const int col0 = blockIdx.x * wg::BN;
    const int kTiles = (K + wg::BK - 1) / wg::BK;

    float acc[128];
#pragma unroll
    for (int i = 0; i < 128; i++) {
        acc[i] = 0.0f;
    }

#pragma unroll
    for (int s = 0; s < wg::STAGES - 2; s++) {
        if (s < kTiles) {
            wg::load_tile(base + s * wg::STAGE_BYTES, A, M, K, row0, s * wg::BK, wg::BM);
            wg::load_tile(base + s * wg::STAGE_BYTES + wg::A_BYTES, B, N, K, col0, s * wg::BK, wg::BN);
        }
        cp_async_commit();
    }

    for (int kt = 0; kt < kTiles; kt++) {
        cp_async_wait<wg::STAGES - 3>();
        wg::fence_proxy_async();
        __syncthreads();
        int next = kt + wg::STAGES - 2;
        if (next < kTiles) {
            uint32_t stage = base + (next % wg::STAGES) * wg::STAGE_BYTES;
            wg::load_tile(stage, A, M, K, row0, next * wg::BK, wg::BM);
            wg::load_tile(stage + wg::A_BYTES, B, N, K, col0, next * wg::BK, wg::BN);
        }
        cp_async_commit();

        uint32_t a = base + (kt % wg::STAGES) * wg::STAGE_BYTES + group * 64 * wg::ROW_BYTES;
        uint32_t b = base + (kt % wg::STAGES) * wg::STAGE_BYTES + wg::A_BYTES;
        wg::fence_operands(acc);
        wg::wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < wg::BK / 16; kk++) {
            wg::wgmma_m64n256k16(acc, wg::descriptor(a + kk * 32), wg::descriptor(b + kk * 32), 1);
        }
        wg::wgmma_commit();
        wg::wgmma_wait<1>();
        wg::fence_operands(acc);
    }
    wg::wgmma_wait<0>();
    wg::fence_operands(acc);
    cp_async_wait<0>();

    const bool swiglu = mode & GEMM_SWIGLU;
    const int columns = swiglu ? N / 2 : N;
    const int row = row0 + group * 64 + warp * 16 + (lane >> 2);
    if (mode & GEMM_BIAS) {
#pragma unroll
        for (int i = 0; i < 128; i++) {
            int c = col0 + 8 * (i >> 2) + 2 * (lane & 3) + (i & 1);
            if (c < N) {
                acc[i] += bias[c];
            }
        }
    }
    if (swiglu) {
#pragma unroll
        for (int p = 0; p < 16; p++) {
            // n8 chunk 2p holds u, chunk 2p+1 the g of the same 8 outputs (SwiGluLayout)
            int out = (col0 + p * 16) / 2 + 2 * (lane & 3);
#pragma unroll
            for (int h = 0; h < 2; h++) {  // rows row and row + 8: elements 2h, 2h + 1
                float v0 = acc[8 * p + 2 * h] * silu(acc[8 * p + 4 + 2 * h]);
                float v1 = acc[8 * p + 2 * h + 1] * silu(acc[8 * p + 4 + 2 * h + 1]);
                wg::store2(C, ldc, M, columns, row + h * 8, out, v0, v1, mode);
            }
        }
    } else {
#pragma unroll
        for (int i = 0; i < 128; i += 2) {
            int c = col0 + 8 * (i >> 2) + 2 * (lane & 3);
            wg::store2(C, ldc, M, columns, row + ((i >> 1) & 1) * 8, c, acc[i], acc[i + 1], mode);
        }
    }
#endif
}

// Activations arrive from the host as fp32 (the Backend seam); the GEMM reads bf16. Round to nearest even, like
// Bf16Matrix on the CPU. Grid-stride over n elements.
extern "C" __global__ void gemm_f32_to_bf16(const float* in, __nv_bfloat16* out, long long n) {
    for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<long long>(gridDim.x) * blockDim.x) {
        out[i] = __float2bfloat16_rn(in[i]);
    }
}
