// BaseConv's gated short convolution (model-spec §3), the element-wise part between in_proj and out_proj.
// CPU twin: io.readtwice.kernels.cpu.BaseConvKernel.
//
// Letters: C channels (2·d), K taps (3). z [rows, 2C] is the in_proj output (u1, u2); conv [C, K] float32;
// out [rows, C] = silu(Σ_j conv[c, j]·u1[t−K+1+j]) ⊙ u2[t], zero before a sequence's start. The decode state per
// sequence is the last K u1 rows, right-aligned with zeros in front: [sequences, K, C] float32.
// Chunked prefill: with prev_state (a copy of the state the previous chunk left, [sequences, K, C]), rows before the
// chunk's start are read from it instead of being zero, and a chunk shorter than K keeps the older rows in the new
// state. The copy is what makes this race-free: the state blocks overwrite `state` while row blocks still read.
#include "readtwice_common.cuh"

using readtwice::from_float;
using readtwice::to_float;

namespace {

// Blocks x < rows: one output row each; blocks x ≥ rows: the state of sequence x − rows (so empty sequences get a
// zero state too). Threads over channels, grid y over channel blocks.
template <typename T>
__device__ void prefill(const T* z, const int* seq_start, int sequences, const float* conv, float* state, T* out,
                        int rows, int channels, int taps, const float* prev_state) {
    const int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (c >= channels) return;
    const int width = 2 * channels;
    if ((int)blockIdx.x >= rows) {
        const int seq = blockIdx.x - rows;
        const int start = seq_start[seq], length = seq_start[seq + 1] - start;
        for (int j = 0; j < taps; ++j) {
            const int src = length - taps + j;
            const float older = prev_state == nullptr || src >= 0
                                    ? 0.0f : prev_state[((size_t)seq * taps + taps + src) * channels + c];
            state[((size_t)seq * taps + j) * channels + c] = src >= 0 ? to_float(z[(size_t)(start + src) * width + c])
                                                                      : older;
        }
        return;
    }
    const int row = blockIdx.x;
    const int seq = readtwice::sequence_of_row(seq_start, sequences, row);
    const int t = row - seq_start[seq];
    float acc = 0.0f;
    for (int j = 0; j < taps; ++j) {
        const int src = t - (taps - 1) + j;
        if (src >= 0) {
            acc += conv[c * taps + j] * to_float(z[(size_t)(row - t + src) * width + c]);
        } else if (prev_state != nullptr) {  // the previous chunk's u1, right-aligned: src = -1 is row K-1
            acc += conv[c * taps + j] * prev_state[((size_t)seq * taps + taps + src) * channels + c];
        }
    }
    out[(size_t)row * channels + c] = from_float<T>(readtwice::silu(acc) * to_float(z[(size_t)row * width + channels + c]));
}

// One row per sequence: shift the state up by one row, append u1, convolve over the state.
template <typename T>
__device__ void step(const T* z, const float* conv, float* state, T* out, int channels, int taps) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x, seq = blockIdx.y;
    if (c >= channels) return;
    float* s = state + (size_t)seq * taps * channels;
    for (int j = 0; j + 1 < taps; ++j) s[j * channels + c] = s[(j + 1) * channels + c];
    s[(taps - 1) * channels + c] = to_float(z[(size_t)seq * 2 * channels + c]);
    float acc = 0.0f;
    for (int j = 0; j < taps; ++j) acc += conv[c * taps + j] * s[j * channels + c];
    out[(size_t)seq * channels + c] = from_float<T>(readtwice::silu(acc) * to_float(z[(size_t)seq * 2 * channels + channels + c]));
}

}  // namespace

// grid (rows + sequences, ceil(C / block)), block 256. prev_state: null, or the carried state (must not alias state).
extern "C" __global__ void base_conv_prefill_f32(const float* z, const int* seq_start, int sequences, const float* conv,
                                                 float* state, float* out, int rows, int channels, int taps,
                                                 const float* prev_state) {
    prefill(z, seq_start, sequences, conv, state, out, rows, channels, taps, prev_state);
}

extern "C" __global__ void base_conv_prefill_bf16(const __nv_bfloat16* z, const int* seq_start, int sequences,
                                                  const float* conv, float* state, __nv_bfloat16* out, int rows,
                                                  int channels, int taps, const float* prev_state) {
    prefill(z, seq_start, sequences, conv, state, out, rows, channels, taps, prev_state);
}

// grid (ceil(C / block), batch), block 256.
extern "C" __global__ void base_conv_step_f32(const float* z, const float* conv, float* state, float* out,
                                              int channels, int taps) {
    step(z, conv, state, out, channels, taps);
}

extern "C" __global__ void base_conv_step_bf16(const __nv_bfloat16* z, const float* conv, float* state,
                                               __nv_bfloat16* out, int channels, int taps) {
    step(z, conv, state, out, channels, taps);
}
