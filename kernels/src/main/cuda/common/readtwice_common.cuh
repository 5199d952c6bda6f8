// Shared by every readtwice kernel module: element types at the ABI, float conversions, block reductions.
//
// ABI conventions (see docs/gpu.md): entry points are extern "C" with plain pointers and ints; activations are
// row-major [rows, width]; a kernel with an `_f32` suffix reads and writes float32, one with `_bf16` reads and writes
// bfloat16 activations; recurrent state (linear-attention S and z, window caches, conv tails) and every accumulator
// are float32.
#pragma once

#include <cuda_bf16.h>
#include <stdint.h>

namespace readtwice {

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
// Round to nearest even, as the CPU engine's Bf16Matrix does.
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// SiLU t·sigmoid(t), in the CPU engine's form t / (1 + e^-t) (CpuMath.silu).
__device__ __forceinline__ float silu(float t) { return t / (1.0f + expf(-t)); }

__device__ __forceinline__ float warp_sum(float x) {
    for (int offset = 16; offset > 0; offset >>= 1) x += __shfl_xor_sync(0xffffffffu, x, offset);
    return x;
}

__device__ __forceinline__ float warp_max(float x) {
    for (int offset = 16; offset > 0; offset >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
    return x;
}

// Sum over the block; `scratch` holds at least 32 floats. Every thread gets the result. Block size: a multiple of 32.
__device__ __forceinline__ float block_sum(float x, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = warp_sum(x);
    __syncthreads();  // scratch may still be read by a previous reduction
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    x = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(x);
}

__device__ __forceinline__ float block_max(float x, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    x = warp_max(x);
    __syncthreads();
    if (lane == 0) scratch[warp] = x;
    __syncthreads();
    x = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max(x);
}

// Index of the packed sequence that owns `row`: seq_start has sequences + 1 ascending entries.
__device__ __forceinline__ int sequence_of_row(const int* seq_start, int sequences, int row) {
    int lo = 0, hi = sequences - 1;
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (seq_start[mid] <= row) lo = mid; else hi = mid - 1;
    }
    return lo;
}

}  // namespace readtwice
