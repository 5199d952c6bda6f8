// The element-wise steps of the forward pass around the GEMMs and mixers (model-spec §2). CPU twins: CpuBackend's
// embed, addInPlace + rmsNorm (CpuMath.rmsNormRow) and swiGlu (VectorOps.siluGate).
//
// Letters: d model width, h MLP hidden width, V (padded) vocabulary. The residual stream is float32 [rows, d].
#include "readtwice_common.cuh"

using readtwice::from_float;
using readtwice::to_float;

namespace {

// residual += h (when h is given), then y = residual · w / sqrt(mean(residual²) + eps), one block per row.
template <typename T>
__device__ void rms_norm_residual(float* residual, const T* h, const float* w, T* y, int d, float eps) {
    __shared__ float scratch[32];
    float* x = residual + (size_t)blockIdx.x * d;
    const T* add = h == nullptr ? nullptr : h + (size_t)blockIdx.x * d;
    float sum_squares = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float value = x[i];
        if (add != nullptr) {
            value += to_float(add[i]);
            x[i] = value;
        }
        sum_squares += value * value;
    }
    sum_squares = readtwice::block_sum(sum_squares, scratch);
    const float inv = 1.0f / sqrtf(sum_squares / (float)d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        y[(size_t)blockIdx.x * d + i] = from_float<T>(x[i] * inv * w[i]);
    }
}

// out[r, i] = silu(z[r, h + i]) · z[r, i]: the value half first (model-spec §2).
template <typename T>
__device__ void swiglu(const T* z, T* out, long long rows, int hidden) {
    const long long total = rows * hidden;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total;
         idx += (long long)gridDim.x * blockDim.x) {
        const long long r = idx / hidden;
        const int i = (int)(idx % hidden);
        const float gate = to_float(z[r * 2 * hidden + hidden + i]);
        out[idx] = from_float<T>(readtwice::silu(gate) * to_float(z[r * 2 * hidden + i]));
    }
}

// out[t] = table[tokens[t]] widened to float32; a token outside [0, V) gives a NaN row (checked on the host where the
// tokens come from the host).
template <typename T>
__device__ void embed(const T* table, const int* tokens, float* out, int vocab, int d) {
    const int token = tokens[blockIdx.x];
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        out[(size_t)blockIdx.x * d + i] = token >= 0 && token < vocab ? to_float(table[(size_t)token * d + i]) : NAN;
    }
}

}  // namespace

// grid rows, block 256; h may be null (plain RMSNorm of the residual).
extern "C" __global__ void rms_norm_residual_f32(float* residual, const float* h, const float* w, float* y, int d,
                                                 float eps) {
    rms_norm_residual(residual, h, w, y, d, eps);
}

extern "C" __global__ void rms_norm_residual_bf16(float* residual, const __nv_bfloat16* h, const float* w,
                                                  __nv_bfloat16* y, int d, float eps) {
    rms_norm_residual(residual, h, w, y, d, eps);
}

// grid-stride, any grid; block 256.
extern "C" __global__ void swiglu_f32(const float* z, float* out, long long rows, int hidden) {
    swiglu(z, out, rows, hidden);
}

extern "C" __global__ void swiglu_bf16(const __nv_bfloat16* z, __nv_bfloat16* out, long long rows, int hidden) {
    swiglu(z, out, rows, hidden);
}

// grid tokens, block 256.
extern "C" __global__ void embed_f32(const float* table, const int* tokens, float* out, int vocab, int d) {
    embed(table, tokens, out, vocab, d);
}

extern "C" __global__ void embed_bf16(const __nv_bfloat16* table, const int* tokens, float* out, int vocab, int d) {
    embed(table, tokens, out, vocab, d);
}
