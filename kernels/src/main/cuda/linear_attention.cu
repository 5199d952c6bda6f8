// Taylor linear attention: the JRT-RNN prefix linear attention (model-spec §4.4, §4.5) and Based's causal linear
// attention (§10.3, §10.4). CPU twin: io.readtwice.kernels.cpu.LinearAttentionKernel (same chunking, same state).
//
// Letters: H heads, F feature dim (16), D = 1 + F + F² expanded features (273), hd value dim, W = hd + 1.
// φ(x) = [1, x/F^¼, vec(x xᵀ)/(√2·√F)] (row-major pairs), so φ(q)·φ(k) = 1 + s + s²/2 with s = q·k/√F. φ is computed
// on the fly from the F raw numbers; the 273 features are never stored.
//
// Layouts: q, k [rows, H·F]; v, out [rows, H·hd]; k_enc [enc_rows, H·F], v_enc [enc_rows, H·hd]; sequences are packed
// (seq_start[s] .. seq_start[s+1]-1, likewise enc_start). State per sequence and head: S = Σ φ(k)·[v, 1]ᵀ, [D, W]
// float32, the last column is the normaliser z; the whole buffer is [sequences, H, D, W].
//
// Prefill, one CTA per (head, sequence), the state in shared memory:
//   1. encoder (JRT only): S = Σ_enc φ(k_enc)·[v_enc, 1]ᵀ, non-causal, chunk by chunk;
//   2. decoder chunks of C tokens: acc = φ(Q)·S (everything before the chunk) + T·[V, 1] with the exact Taylor scores
//      T_ij = 1 + s + s²/2 for j ≤ i; y = acc[:, :hd] / (acc[:, hd] + eps); then S += φ(K)ᵀ·[V, 1].
// Chunked prefill (PrefillChunkPlan): with from_state set, each CTA starts from its (sequence, head) slice of `state`
// instead of zeros, so a prompt read in several calls carries S and z from one chunk to the next (the encoder is
// folded in by the first chunk only: its rows come with that chunk). Each CTA reads and writes only its own slice.
// Masked keys (the reference's left-pad mask, §4.3): positions below masked_keys[s] enter k and k_enc as 0, so
// φ = e₀: they still add 1 to z and v to S, as the reference does.
//
// Build: kernels/build-cuda.sh (nvcc -O3 -gencode sm_90a, sm_80, compute_80).
#include "readtwice_common.cuh"

using readtwice::from_float;
using readtwice::to_float;

namespace {

constexpr int kRowsPerThread = 16;   // decoder rows one thread accumulates (the chunk is split into row groups)
constexpr int kColumnsPerThread = 8; // state columns one thread folds (φ(k_j)[d] reused across them)

struct Taylor {
    int f;          // F
    int expanded;   // D
    float linear;   // 1 / F^¼
    float quadratic;// 1 / (√2·√F)
    float score;    // 1 / √F

    __device__ explicit Taylor(int feature_dim)
        : f(feature_dim),
          expanded(1 + feature_dim + feature_dim * feature_dim),
          linear((float)(1.0 / sqrt(sqrt((double)feature_dim)))),
          quadratic((float)(1.0 / (sqrt(2.0) * sqrt((double)feature_dim)))),
          score((float)(1.0 / sqrt((double)feature_dim))) {}

    // φ(x)[d] for the F numbers at x (the same products, in the same order, as TaylorFeatureMap.apply).
    __device__ __forceinline__ float feature(const float* x, int d) const {
        if (d == 0) return 1.0f;
        if (d <= f) return x[d - 1] * linear;
        const int pair = d - 1 - f;
        return (x[pair / f] * quadratic) * x[pair % f];
    }
};

// Copies n rows of one head's F numbers (queries or keys) into dst [n, F]; positions below `masked` become 0.
template <typename T>
__device__ void load_keys(const T* src, int row0, int n, int row_width, int head, int f, int position0, int masked,
                          float* dst) {
    for (int idx = threadIdx.x; idx < n * f; idx += blockDim.x) {
        const int i = idx / f, a = idx % f;
        dst[idx] = position0 + i < masked ? 0.0f : to_float(src[(size_t)(row0 + i) * row_width + head * f + a]);
    }
}

// Copies n rows of one head's values into dst [n, W] with the ones column appended.
template <typename T>
__device__ void load_values(const T* src, int row0, int n, int row_width, int head, int hd, float* dst) {
    const int w = hd + 1;
    for (int idx = threadIdx.x; idx < n * w; idx += blockDim.x) {
        const int i = idx / w, e = idx % w;
        dst[idx] = e == hd ? 1.0f : to_float(src[(size_t)(row0 + i) * row_width + head * hd + e]);
    }
}

// S[D, W] += φ(K)ᵀ·V for n keys K [n, F] and values V [n, W]. A thread owns one feature row d and up to
// kColumnsPerThread columns, so each φ(k_j)[d] is made once per j; neighbouring threads take neighbouring d.
__device__ void fold_keys(const Taylor& taylor, float* s, const float* keys, const float* values, int n, int w) {
    const int blocks_per_row = (w + kColumnsPerThread - 1) / kColumnsPerThread;
    for (int idx = threadIdx.x; idx < taylor.expanded * blocks_per_row; idx += blockDim.x) {
        const int d = idx % taylor.expanded;
        const int e0 = (idx / taylor.expanded) * kColumnsPerThread;
        float sum[kColumnsPerThread];
#pragma unroll
        for (int c = 0; c < kColumnsPerThread; ++c) sum[c] = 0.0f;
        for (int j = 0; j < n; ++j) {
            const float phi = taylor.feature(keys + j * taylor.f, d);
#pragma unroll
            for (int c = 0; c < kColumnsPerThread; ++c) {
                if (e0 + c < w) sum[c] += phi * values[j * w + e0 + c];
            }
        }
#pragma unroll
        for (int c = 0; c < kColumnsPerThread; ++c) {
            if (e0 + c < w) s[d * w + e0 + c] += sum[c];
        }
    }
}

template <typename T>
__device__ void prefill(const T* q, const T* k, const T* v, const T* k_enc, const T* v_enc, const int* seq_start,
                        const int* enc_start, const int* masked_keys, float* state, T* out, int heads,
                        int feature_dim, int hd, int chunk, float eps, int from_state) {
    extern __shared__ float shared[];
    const Taylor taylor(feature_dim);
    const int f = feature_dim, d_all = taylor.expanded, w = hd + 1;
    const int head = blockIdx.x, seq = blockIdx.y;
    const int key_width = heads * f, value_width = heads * hd;

    float* s = shared;                    // [D, W] the running state
    float* queries = s + d_all * w;       // [C, F]
    float* keys = queries + chunk * f;    // [C, F]
    float* values = keys + chunk * f;     // [C, W]
    float* scores = values + chunk * w;   // [C, C]
    float* acc = scores + chunk * chunk;  // [C, W] numerators and denominators of the chunk

    const int row0 = seq_start[seq], rows = seq_start[seq + 1] - row0;
    const int enc0 = enc_start == nullptr ? 0 : enc_start[seq];
    const int enc_rows = enc_start == nullptr ? 0 : enc_start[seq + 1] - enc0;
    const int masked = masked_keys == nullptr ? 0 : masked_keys[seq];

    const float* seed = state + ((size_t)seq * heads + head) * d_all * w;
    for (int idx = threadIdx.x; idx < d_all * w; idx += blockDim.x) s[idx] = from_state ? seed[idx] : 0.0f;
    __syncthreads();

    // 1. Encoder prefix: every query sees all of it.
    for (int c0 = 0; c0 < enc_rows; c0 += chunk) {
        const int n = min(chunk, enc_rows - c0);
        load_keys(k_enc, enc0 + c0, n, key_width, head, f, c0, masked, keys);
        load_values(v_enc, enc0 + c0, n, value_width, head, hd, values);
        __syncthreads();
        fold_keys(taylor, s, keys, values, n, w);
        __syncthreads();
    }

    // 2. Causal decoder, chunk by chunk.
    const int groups = (chunk + kRowsPerThread - 1) / kRowsPerThread;
    for (int c0 = 0; c0 < rows; c0 += chunk) {
        const int n = min(chunk, rows - c0);
        load_keys(q, row0 + c0, n, key_width, head, f, 0, 0, queries);
        load_keys(k, row0 + c0, n, key_width, head, f, c0, masked, keys);
        load_values(v, row0 + c0, n, value_width, head, hd, values);
        __syncthreads();

        // Within the chunk: T_ij = 1 + s + s²/2, s = (q_i·k_j)/√F, j ≤ i.
        for (int idx = threadIdx.x; idx < n * n; idx += blockDim.x) {
            const int i = idx / n, j = idx % n;
            float t = 0.0f;
            if (j <= i) {
                float dot = 0.0f;
                for (int a = 0; a < f; ++a) dot += queries[i * f + a] * keys[j * f + a];
                const float x = taylor.score * dot;
                t = 1.0f + x + 0.5f * x * x;
            }
            scores[i * chunk + j] = t;
        }
        __syncthreads();

        // acc[i, e] = φ(q_i)·S[:, e] + Σ_{j≤i} T_ij·values[j, e]; a thread owns column e of one row group.
        for (int p = threadIdx.x; p < w * groups; p += blockDim.x) {
            const int e = p % w, first = (p / w) * kRowsPerThread;
            if (first >= n) continue;
            const int count = min(kRowsPerThread, n - first);
            float a[kRowsPerThread];
#pragma unroll
            for (int r = 0; r < kRowsPerThread; ++r) a[r] = 0.0f;
            const float s0 = s[e];
#pragma unroll
            for (int r = 0; r < kRowsPerThread; ++r) a[r] += s0;
            for (int x = 0; x < f; ++x) {
                const float sx = s[(1 + x) * w + e];
#pragma unroll
                for (int r = 0; r < kRowsPerThread; ++r) {
                    if (r < count) a[r] += queries[(first + r) * f + x] * taylor.linear * sx;
                }
            }
            for (int x = 0; x < f; ++x) {
                float qx[kRowsPerThread];
#pragma unroll
                for (int r = 0; r < kRowsPerThread; ++r) {
                    qx[r] = r < count ? queries[(first + r) * f + x] * taylor.quadratic : 0.0f;
                }
                for (int y = 0; y < f; ++y) {
                    const float sxy = s[(1 + f + x * f + y) * w + e];
#pragma unroll
                    for (int r = 0; r < kRowsPerThread; ++r) {
                        if (r < count) a[r] += qx[r] * queries[(first + r) * f + y] * sxy;
                    }
                }
            }
            const int last_key = first + count;  // keys j < last_key can be seen by some row of the group
            for (int j = 0; j < last_key; ++j) {
                const float vj = values[j * w + e];
#pragma unroll
                for (int r = 0; r < kRowsPerThread; ++r) {
                    if (r < count) a[r] += scores[(first + r) * chunk + j] * vj;
                }
            }
#pragma unroll
            for (int r = 0; r < kRowsPerThread; ++r) {
                if (r < count) acc[(first + r) * w + e] = a[r];
            }
        }
        __syncthreads();

        for (int idx = threadIdx.x; idx < n * hd; idx += blockDim.x) {
            const int i = idx / hd, e = idx % hd;
            const float y = acc[i * w + e] / (acc[i * w + hd] + eps);
            out[(size_t)(row0 + c0 + i) * value_width + head * hd + e] = from_float<T>(y);
        }
        // Fold this chunk's keys into the state (acc was read above; the state reads are done).
        fold_keys(taylor, s, keys, values, n, w);
        __syncthreads();
    }

    float* dst = state + ((size_t)seq * heads + head) * d_all * w;
    for (int idx = threadIdx.x; idx < d_all * w; idx += blockDim.x) dst[idx] = s[idx];
}

// One decode step of one (head, sequence): S += kv_weight·φ(k)vᵀ, z += φ(k), y = φ(q)ᵀS / (φ(q)·z + eps).
// Block: G·W threads or more (G = blockDim / W groups, each walking every G-th feature row), the state streams
// through once, read and written in place.
template <typename T>
__device__ void step(const T* q, const T* k, const T* v, float* state, T* out, int heads, int feature_dim, int hd,
                     float kv_weight, float eps) {
    extern __shared__ float shared[];
    const Taylor taylor(feature_dim);
    const int f = feature_dim, d_all = taylor.expanded, w = hd + 1;
    const int head = blockIdx.x, seq = blockIdx.y;
    float* qs = shared;          // [F]
    float* ks = qs + f;          // [F]
    float* vs = ks + f;          // [W], the ones column is not used
    float* partial = vs + w;     // [G, W]
    const int key_off = seq * heads * f + head * f, value_off = seq * heads * hd + head * hd;
    for (int i = threadIdx.x; i < f; i += blockDim.x) {
        qs[i] = to_float(q[key_off + i]);
        ks[i] = to_float(k[key_off + i]);
    }
    for (int e = threadIdx.x; e < hd; e += blockDim.x) vs[e] = to_float(v[value_off + e]);
    __syncthreads();

    const int groups = blockDim.x / w;
    const int e = threadIdx.x % w, g = threadIdx.x / w;
    float* s = state + ((size_t)seq * heads + head) * d_all * w;
    if (g < groups) {
        float a = 0.0f;
        for (int d = g; d < d_all; d += groups) {
            const float pk = taylor.feature(ks, d);
            float value = s[d * w + e];
            value += e < hd ? kv_weight * pk * vs[e] : pk;
            s[d * w + e] = value;
            a += taylor.feature(qs, d) * value;
        }
        partial[g * w + e] = a;
    }
    __syncthreads();
    for (int col = threadIdx.x; col < hd; col += blockDim.x) {
        float num = 0.0f, den = 0.0f;
        for (int gg = 0; gg < groups; ++gg) {
            num += partial[gg * w + col];
            den += partial[gg * w + hd];
        }
        out[value_off + col] = from_float<T>(num / (den + eps));
    }
}

}  // namespace

// grid (H, sequences), any block size (256); dynamic shared memory
// 4·(D·W + 2·C·F + 2·C·W + C²) bytes; chunk C ≤ 64 (kRowsPerThread·groups covers it at any C).
// from_state: 0 starts from S = 0, 1 from the state already in `state` (chunked prefill).
extern "C" __global__ void linear_attention_prefill_f32(
    const float* q, const float* k, const float* v, const float* k_enc, const float* v_enc, const int* seq_start,
    const int* enc_start, const int* masked_keys, float* state, float* out, int heads, int feature_dim, int head_dim,
    int chunk, float eps, int from_state) {
    prefill(q, k, v, k_enc, v_enc, seq_start, enc_start, masked_keys, state, out, heads, feature_dim, head_dim, chunk,
            eps, from_state);
}

extern "C" __global__ void linear_attention_prefill_bf16(
    const __nv_bfloat16* q, const __nv_bfloat16* k, const __nv_bfloat16* v, const __nv_bfloat16* k_enc,
    const __nv_bfloat16* v_enc, const int* seq_start, const int* enc_start, const int* masked_keys, float* state,
    __nv_bfloat16* out, int heads, int feature_dim, int head_dim, int chunk, float eps, int from_state) {
    prefill(q, k, v, k_enc, v_enc, seq_start, enc_start, masked_keys, state, out, heads, feature_dim, head_dim, chunk,
            eps, from_state);
}

// grid (H, batch), block ≥ W threads (G·W, rounded up to a warp); dynamic shared memory 4·(2F + W + G·W) bytes.
extern "C" __global__ void linear_attention_step_f32(const float* q, const float* k, const float* v, float* state,
                                                     float* out, int heads, int feature_dim, int head_dim,
                                                     float kv_weight, float eps) {
    step(q, k, v, state, out, heads, feature_dim, head_dim, kv_weight, eps);
}

extern "C" __global__ void linear_attention_step_bf16(const __nv_bfloat16* q, const __nv_bfloat16* k,
                                                      const __nv_bfloat16* v, float* state, __nv_bfloat16* out,
                                                      int heads, int feature_dim, int head_dim, float kv_weight,
                                                      float eps) {
    step(q, k, v, state, out, heads, feature_dim, head_dim, kv_weight, eps);
}
