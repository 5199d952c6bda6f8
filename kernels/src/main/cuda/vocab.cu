// Over one row of logits per sequence (model-spec §6: greedy decoding over all Vp entries): the first index of the
// largest logit (torch.argmax's tie rule, as udf's LogitsRow), log Σ exp, and log-probabilities. One block per row;
// max and sum in float32, the sum taken around the row's max.
#include "readtwice_common.cuh"

using readtwice::to_float;

namespace {

struct Best {
    float value;
    int index;
};

__device__ __forceinline__ Best better(Best a, Best b) {
    if (b.value > a.value || (b.value == a.value && b.index < a.index)) return b;
    return a;
}

// Row max with its first index, then log Σ exp(x − max) + max; every thread gets both.
template <typename T>
__device__ void row_statistics(const T* x, int vocab, Best* best_out, float* lse_out) {
    __shared__ float values[32];
    __shared__ int indices[32];
    __shared__ float scratch[32];
    Best best{-INFINITY, vocab};
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) best = better(best, Best{to_float(x[i]), i});
    for (int offset = 16; offset > 0; offset >>= 1) {
        Best other{__shfl_xor_sync(0xffffffffu, best.value, offset), __shfl_xor_sync(0xffffffffu, best.index, offset)};
        best = better(best, other);
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    if (lane == 0) {
        values[warp] = best.value;
        indices[warp] = best.index;
    }
    __syncthreads();
    best = lane < warps ? Best{values[lane], indices[lane]} : Best{-INFINITY, vocab};
    for (int offset = 16; offset > 0; offset >>= 1) {
        Best other{__shfl_xor_sync(0xffffffffu, best.value, offset), __shfl_xor_sync(0xffffffffu, best.index, offset)};
        best = better(best, other);
    }
    float sum = 0.0f;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) sum += expf(to_float(x[i]) - best.value);
    sum = readtwice::block_sum(sum, scratch);
    *best_out = best;
    *lse_out = best.value + logf(sum);
}

template <typename T>
__device__ void greedy(const T* logits, int* argmax, float* log_sum_exp, int vocab) {
    Best best;
    float lse;
    row_statistics(logits + (size_t)blockIdx.x * vocab, vocab, &best, &lse);
    if (threadIdx.x == 0) {
        argmax[blockIdx.x] = best.index;
        log_sum_exp[blockIdx.x] = lse;
    }
}

template <typename T>
__device__ void log_softmax(const T* logits, float* log_probs, int vocab) {
    Best best;
    float lse;
    const T* x = logits + (size_t)blockIdx.x * vocab;
    row_statistics(x, vocab, &best, &lse);
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) log_probs[(size_t)blockIdx.x * vocab + i] = to_float(x[i]) - lse;
}

}  // namespace

// grid rows, block 1024: argmax [rows] int32, log_sum_exp [rows] float32.
extern "C" __global__ void vocab_greedy_f32(const float* logits, int* argmax, float* log_sum_exp, int vocab) {
    greedy(logits, argmax, log_sum_exp, vocab);
}

extern "C" __global__ void vocab_greedy_bf16(const __nv_bfloat16* logits, int* argmax, float* log_sum_exp, int vocab) {
    greedy(logits, argmax, log_sum_exp, vocab);
}

// grid rows, block 1024: log_probs [rows, V] float32.
extern "C" __global__ void vocab_log_softmax_f32(const float* logits, float* log_probs, int vocab) {
    log_softmax(logits, log_probs, vocab);
}

extern "C" __global__ void vocab_log_softmax_bf16(const __nv_bfloat16* logits, float* log_probs, int vocab) {
    log_softmax(logits, log_probs, vocab);
}
