// Activation quantization in C for the quantized products: float columns
// straight into the packed Q8_0 / Q8_K blocks the dot kernels read, bit for
// bit what QuantizedActivations (Swift) + sl_q8_pack produce: ggml's
// quantize_row_q8_0_ref (d = max|x| / 127 stored as float16, values rounded
// half away from zero) and quantize_row_q8_K_ref (scale -127 / the value of
// largest magnitude, first one wins, rounded half to even, capped at 127).
// AVX2 + F16C only (the caller falls back to Swift below that level).

#include "QuantDot.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

typedef struct { float d; float s; int32_t c[8]; int8_t qs[32]; } block_x8;
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } block_x8k;

int sl_q_max_level(void);
int sl_q_matmul(int type, int level, int threads, const void *w, size_t row_bytes, int rows, int k,
                const void *x, size_t x_stride, int count, float *y, size_t ldy);

static inline int is_k(int type) { return type == 12 || type == 13 || type == 14; }

AVX2_INLINE __m256 abs8(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

AVX2_INLINE float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

AVX2_INLINE float half_round(float f) { return _cvtsh_ss(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); }

/// 8 values -> int32, rounded half away from zero (roundf), exactly.
AVX2_INLINE __m256i round_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = abs8(_mm256_sub_ps(v, t));
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ),
                                    _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, _mm256_set1_ps(-0.0f))));
    return _mm256_cvttps_epi32(_mm256_add_ps(t, up));
}

/// 32 int32 (4 vectors) -> 32 int8 in order.
AVX2_INLINE void store_i8_32(int8_t *out, __m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    __m256i q = _mm256_packs_epi16(ab, cd);
    q = _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, q);
}

AVX2 static void quantize_legacy(int type, int k, const float *x, block_x8 *y) {
    const int bias = type == 2 ? 8 : type == 6 ? 16 : type == 8 ? 128 : 0;
    for (int b = 0; b < k / 32; b++) {
        const float *v = x + 32 * b;
        const __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
        const float amax = hmax8(_mm256_max_ps(_mm256_max_ps(abs8(v0), abs8(v1)), _mm256_max_ps(abs8(v2), abs8(v3))));
        const float d = amax / 127;
        const float inverse = d != 0 ? 1 / d : 0;
        const __m256 iv = _mm256_set1_ps(inverse);
        const __m256i q0 = round_away(_mm256_mul_ps(v0, iv)), q1 = round_away(_mm256_mul_ps(v1, iv));
        const __m256i q2 = round_away(_mm256_mul_ps(v2, iv)), q3 = round_away(_mm256_mul_ps(v3, iv));
        store_i8_32(y[b].qs, q0, q1, q2, q3);
        y[b].d = half_round(d);
        int sum = 0;
        for (int l = 0; l < 8; l++) {
            const int8_t *g = y[b].qs + 4 * l;
            const int s4 = g[0] + g[1] + g[2] + g[3];
            y[b].c[l] = -bias * s4;
            sum += s4;
        }
        y[b].s = half_round((float)sum * d);  // Q8_1 s (read by Q4_1/Q5_1 only)
    }
}

AVX2 static void quantize_k(int k, const float *x, block_x8k *y) {
    for (int b = 0; b < k / 256; b++) {
        const float *v = x + 256 * b;
        __m256 m = _mm256_setzero_ps();
        for (int i = 0; i < 256; i += 8) m = _mm256_max_ps(m, abs8(_mm256_loadu_ps(v + i)));
        const float amax = hmax8(m);
        if (!(amax > 0)) {  // all zero (as the Swift loop: no |x| > 0)
            memset(&y[b], 0, sizeof(block_x8k));
            continue;
        }
        int first = 0;
        while (!(__builtin_fabsf(v[first]) == amax)) first++;
        const float inverse = -127 / v[first];
        const __m256 iv = _mm256_set1_ps(inverse);
        const __m256i cap = _mm256_set1_epi32(127);
        for (int i = 0; i < 256; i += 32) {
            __m256i q[4];
            for (int j = 0; j < 4; j++) {
                const __m256 r = _mm256_round_ps(_mm256_mul_ps(iv, _mm256_loadu_ps(v + i + 8 * j)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                q[j] = _mm256_min_epi32(_mm256_cvttps_epi32(r), cap);
            }
            store_i8_32(y[b].qs + i, q[0], q[1], q[2], q[3]);
        }
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += y[b].qs[16 * g + i];
            y[b].bsums[g] = (int16_t)sum;
        }
        y[b].d = 1 / inverse;
    }
}

int sl_q8_quantize(int type, int k, const float *x, void *out) {
    if (sl_q_max_level() < SL_Q_LEVEL_AVX2 || !sl_q_supports(type)) return 0;
    if (is_k(type)) quantize_k(k, x, (block_x8k *)out);
    else quantize_legacy(type, k, x, (block_x8 *)out);
    return 1;
}

/// Per-thread scratch for the packed activations, grown as needed and kept.
static _Thread_local void *g_scratch;
static _Thread_local size_t g_scratch_bytes;

int sl_q_matmul_f32(int type, int level, int threads, const void *w, size_t row_bytes, int rows, int k,
                    const float *x, size_t ldx, int count, float *y, size_t ldy) {
    if (sl_q_max_level() < SL_Q_LEVEL_AVX2 || !sl_q_supports(type) || count <= 0) return 0;
    const size_t stride = (sl_q8_packed_bytes(type, k) + 63) & ~(size_t)63;
    const size_t need = stride * (size_t)count;
    if (need > g_scratch_bytes) {
        free(g_scratch);
        g_scratch = aligned_alloc(64, need);
        g_scratch_bytes = g_scratch ? need : 0;
        if (!g_scratch) return 0;
    }
    for (int c = 0; c < count; c++) sl_q8_quantize(type, k, x + (size_t)c * ldx, (uint8_t *)g_scratch + (size_t)c * stride);
    return sl_q_matmul(type, level, threads, w, row_bytes, rows, k, g_scratch, stride, count, y, ldy);
}
