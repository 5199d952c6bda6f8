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

// Activations arrive from the host as fp32 (the Backend seam); the GEMM reads bf16. Round to nearest even, like
// Bf16Matrix on the CPU. Grid-stride over n elements.
extern "C" __global__ void gemm_f32_to_bf16(const float* in, __nv_bfloat16* out, long long n) {
    for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
         i += static_cast<long long>(gridDim.x) * blockDim.x) {
        out[i] = __float2bfloat16_rn(in[i]);
    }
}
