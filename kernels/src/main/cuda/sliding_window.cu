// Sliding-window softmax attention with rotary positions (model-spec §5). CPU twin:
// io.readtwice.kernels.cpu.SlidingWindowKernel (+ Rotary).
//
// Letters: H heads, hd head dim, Wb = window_back (128: flash-attn window (128, 0)), L = Wb + 1 cached positions.
// Query i attends keys i−Wb..i with softmax, scale 1/√hd. Rotary is GPT-NeoX "rotate half" over the whole head:
// pair (x_i, x_{i+hd/2}) turns by θ = pos·inv_freq_i, inv_freq_i = 1/base^{2i/hd}; θ is float32 and its cosine and
// sine are taken in double and rounded, as the Java engine does, so long positions agree.
//
// Layouts: qkv [rows, 3·H·hd] (q, k, v blocks, head-major); out [rows, H·hd]; ring caches [sequences, L, H·hd]
// float32, slot = position mod L, keys rotated, values as they are. Positions restart at 0 in every packed sequence.
//
// Prefill: one CTA per (query tile of 32, head, sequence); the tile's rotated keys (32 + Wb rows) and queries sit
// in shared memory, one warp per query computes ≤ L scores, a warp softmax, and the weighted sum of values read from
// global memory. The CTA also writes the cache slots of its own positions when they are among the last L.
// Decode: one CTA per (head, sequence): rotate q, write the new key and value into the ring, attend over it.
// Chunked prefill (PrefillChunkPlan): start_positions[s] is the position of sequence s's first row in this call (0:
// a fresh prompt); keys and values of positions before it come from prev_keys / prev_values, a copy of the ring
// caches the previous chunk left (a copy, because this call's CTAs overwrite ring slots that other CTAs still read).
// Rotary uses the absolute positions, so a prompt read in chunks equals one read at once.
#include "readtwice_common.cuh"

using readtwice::from_float;
using readtwice::to_float;

namespace {

constexpr int kQueryTile = 32;

// inv_freq_i = 1 / base^{(2i)/hd}: the exponent a float32 division, the power in double rounded to float (Rotary).
__device__ void inverse_frequencies(int hd, float base, float* inv) {
    for (int i = threadIdx.x; i < hd / 2; i += blockDim.x) {
        const float exponent = (float)(2 * i) / (float)hd;
        inv[i] = 1.0f / (float)pow((double)base, (double)exponent);
    }
}

// Rotates the hd numbers at x (position pos) into y, element e of the result per call.
template <typename T>
__device__ __forceinline__ float rotated(const T* x, int e, int hd, int pos, const float* inv) {
    const int half = hd / 2;
    const int i = e < half ? e : e - half;
    const float theta = (float)pos * inv[i];
    double s, c;
    sincos((double)theta, &s, &c);
    const float cf = (float)c, sf = (float)s;
    const float x1 = to_float(x[i]), x2 = to_float(x[i + half]);
    return e < half ? x1 * cf - x2 * sf : x1 * sf + x2 * cf;
}

template <typename T>
__device__ void prefill(const T* qkv, const int* seq_start, float* key_cache, float* value_cache, T* out, int heads,
                        int hd, int window_back, float rotary_base, const int* start_positions,
                        const float* prev_keys, const float* prev_values) {
    extern __shared__ float shared[];
    const int tile = blockIdx.x, head = blockIdx.y, seq = blockIdx.z;
    const int row0 = seq_start[seq], rows = seq_start[seq + 1] - row0;
    const int start = start_positions == nullptr ? 0 : start_positions[seq];  // position of local row 0
    const int t0 = tile * kQueryTile;  // local rows t0 .. t_end-1, positions start + t
    if (t0 >= rows) return;
    const int t_end = min(rows, t0 + kQueryTile);
    const int p_first = max(0, start + t0 - window_back);  // position of the first key any query of the tile sees
    const int n_keys = start + t_end - p_first;
    const int width = heads * hd, stride = 3 * width, cache_len = window_back + 1, ks = hd + 1;
    const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const size_t ring = (size_t)seq * cache_len * width;

    float* inv = shared;                          // [hd/2]
    float* keys = inv + hd / 2;                   // [Q + Wb, hd + 1] rotated keys (odd stride: no bank conflicts)
    float* queries = keys + (kQueryTile + window_back) * ks;  // [Q, hd]
    float* probs = queries + kQueryTile * hd;     // [warps, L]

    inverse_frequencies(hd, rotary_base, inv);
    __syncthreads();
    for (int idx = threadIdx.x; idx < n_keys * hd; idx += blockDim.x) {
        const int j = idx / hd, e = idx % hd, pos = p_first + j;
        keys[j * ks + e] = pos >= start
            ? rotated(qkv + (size_t)(row0 + pos - start) * stride + width + head * hd, e, hd, pos, inv)
            : prev_keys[ring + (size_t)(pos % cache_len) * width + head * hd + e];  // already rotated
    }
    for (int idx = threadIdx.x; idx < (t_end - t0) * hd; idx += blockDim.x) {
        const int i = idx / hd, e = idx % hd, t = t0 + i;
        queries[i * hd + e] = rotated(qkv + (size_t)(row0 + t) * stride + head * hd, e, hd, start + t, inv);
    }
    __syncthreads();

    const float scale = (float)(1.0 / sqrt((double)hd));
    float* p = probs + warp * cache_len;
    for (int i = warp; i < t_end - t0; i += warps) {
        const int t = t0 + i, pos = start + t, first = max(0, pos - window_back), n = pos - first + 1;
        float max_score = -INFINITY;
        for (int j = lane; j < n; j += 32) {
            const float* key = keys + (first + j - p_first) * ks;
            float dot = 0.0f;
            for (int e = 0; e < hd; ++e) dot += queries[i * hd + e] * key[e];
            p[j] = dot * scale;
            max_score = fmaxf(max_score, p[j]);
        }
        max_score = readtwice::warp_max(max_score);
        float sum = 0.0f;
        for (int j = lane; j < n; j += 32) {
            p[j] = expf(p[j] - max_score);
            sum += p[j];
        }
        sum = readtwice::warp_sum(sum);
        __syncwarp();
        for (int e = lane; e < hd; e += 32) {
            float acc = 0.0f;
            for (int j = 0; j < n; ++j) {
                const int key_pos = first + j;
                const float value = key_pos >= start
                    ? to_float(qkv[(size_t)(row0 + key_pos - start) * stride + 2 * width + head * hd + e])
                    : prev_values[ring + (size_t)(key_pos % cache_len) * width + head * hd + e];
                acc += p[j] * value;
            }
            out[(size_t)(row0 + t) * width + head * hd + e] = from_float<T>(acc / sum);
        }
        __syncwarp();
    }

    // The decode ring: this call's positions among the last L of what the sequence has read.
    float* kc = key_cache + ring;
    float* vc = value_cache + ring;
    for (int idx = threadIdx.x; idx < (t_end - t0) * hd; idx += blockDim.x) {
        const int t = t0 + idx / hd, e = idx % hd;
        if (t < rows - cache_len) continue;
        const int slot = ((start + t) % cache_len) * width + head * hd + e;
        kc[slot] = keys[(start + t - p_first) * ks + e];
        vc[slot] = to_float(qkv[(size_t)(row0 + t) * stride + 2 * width + head * hd + e]);
    }
}

template <typename T>
__device__ void step(const T* qkv, const int* positions, float* key_cache, float* value_cache, T* out, int heads,
                     int hd, int window_back, float rotary_base) {
    extern __shared__ float shared[];
    __shared__ float scratch[32];
    const int head = blockIdx.x, seq = blockIdx.y;
    const int pos = positions[seq];
    const int width = heads * hd, cache_len = window_back + 1;
    float* inv = shared;             // [hd/2]
    float* q = inv + hd / 2;         // [hd]
    float* probs = q + hd;           // [L]
    float* kc = key_cache + (size_t)seq * cache_len * width;
    float* vc = value_cache + (size_t)seq * cache_len * width;
    const T* row = qkv + (size_t)seq * 3 * width;

    inverse_frequencies(hd, rotary_base, inv);
    __syncthreads();
    const int slot = (pos % cache_len) * width + head * hd;
    for (int e = threadIdx.x; e < hd; e += blockDim.x) {
        q[e] = rotated(row + head * hd, e, hd, pos, inv);
        kc[slot + e] = rotated(row + width + head * hd, e, hd, pos, inv);
        vc[slot + e] = to_float(row[2 * width + head * hd + e]);
    }
    __syncthreads();  // the new key and value are in the ring

    const float scale = (float)(1.0 / sqrt((double)hd));
    const int first = max(0, pos - window_back), n = pos - first + 1;
    float max_score = -INFINITY;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        const float* key = kc + ((first + j) % cache_len) * width + head * hd;
        float dot = 0.0f;
        for (int e = 0; e < hd; ++e) dot += q[e] * key[e];
        probs[j] = dot * scale;
        max_score = fmaxf(max_score, probs[j]);
    }
    max_score = readtwice::block_max(max_score, scratch);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        probs[j] = expf(probs[j] - max_score);
        sum += probs[j];
    }
    sum = readtwice::block_sum(sum, scratch);  // its barriers also publish probs
    for (int e = threadIdx.x; e < hd; e += blockDim.x) {
        float acc = 0.0f;
        for (int j = 0; j < n; ++j) acc += probs[j] * vc[((first + j) % cache_len) * width + head * hd + e];
        out[(size_t)seq * width + head * hd + e] = from_float<T>(acc / sum);
    }
}

}  // namespace

// grid (ceil(longest / 32), H, sequences), block 256; dynamic shared memory
// 4·(hd/2 + (32 + Wb)·(hd + 1) + 32·hd + (block/32)·(Wb + 1)) bytes. start_positions, prev_keys, prev_values: all
// null (positions from 0), or all given (chunked prefill; the prev buffers must not alias the caches).
extern "C" __global__ void sliding_window_prefill_f32(const float* qkv, const int* seq_start, float* key_cache,
                                                      float* value_cache, float* out, int heads, int head_dim,
                                                      int window_back, float rotary_base, const int* start_positions,
                                                      const float* prev_keys, const float* prev_values) {
    prefill(qkv, seq_start, key_cache, value_cache, out, heads, head_dim, window_back, rotary_base, start_positions,
            prev_keys, prev_values);
}

extern "C" __global__ void sliding_window_prefill_bf16(const __nv_bfloat16* qkv, const int* seq_start,
                                                       float* key_cache, float* value_cache, __nv_bfloat16* out,
                                                       int heads, int head_dim, int window_back, float rotary_base,
                                                       const int* start_positions, const float* prev_keys,
                                                       const float* prev_values) {
    prefill(qkv, seq_start, key_cache, value_cache, out, heads, head_dim, window_back, rotary_base, start_positions,
            prev_keys, prev_values);
}

// grid (H, batch), block 128; dynamic shared memory 4·(hd/2 + hd + Wb + 1) bytes. positions[s] = tokens already read.
extern "C" __global__ void sliding_window_step_f32(const float* qkv, const int* positions, float* key_cache,
                                                   float* value_cache, float* out, int heads, int head_dim,
                                                   int window_back, float rotary_base) {
    step(qkv, positions, key_cache, value_cache, out, heads, head_dim, window_back, rotary_base);
}

extern "C" __global__ void sliding_window_step_bf16(const __nv_bfloat16* qkv, const int* positions, float* key_cache,
                                                    float* value_cache, __nv_bfloat16* out, int heads, int head_dim,
                                                    int window_back, float rotary_base) {
    step(qkv, positions, key_cache, value_cache, out, heads, head_dim, window_back, rotary_base);
}
