// Quantized dot products: one GGUF weight row · one packed 8-bit activation
// column. Portable C, AVX2 (+FMA, F16C) and AVX-512 (F/BW/VL/VNNI) versions,
// after llama.cpp's ggml-cpu/arch/x86/quants.c: nibbles unpacked with and/shift,
// products as maddubs (u8 x s8 -> s16 pairs) then madd (s16 -> s32, times the
// sub-block scale), one float fma per block. The integer sum of every block
// is exact in every version; only the float combination differs.
//
// SIMD code is compiled per function (target attributes) and only reached
// when the CPU-feature probe (CPUFeatures.h) says so.

#include "QuantDot.h"
#include "CPUFeatures.h"

#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))
#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX512_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

// MARK: Block layouts (ggml-common.h) and packed activations

typedef struct { uint16_t d; uint8_t qs[16]; } block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[16]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[32]; } block_q8_0;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } block_q4_K;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } block_q5_K;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } block_q6_K;

/// Activations for the legacy types: Q8_0 values, d (float16-rounded), Q8_1's s,
/// and -bias · (the sum of each 4 values), bias the offset of the weight type's
/// values (8 for Q4_0, 16 for Q5_0, 128 for Q8_0, else 0): the initial
/// accumulator that lets vpdpbusd multiply the unsigned q + bias exactly.
typedef struct { float d; float s; int32_t c[8]; int8_t qs[32]; } block_x8;
/// Activations for the k-quants (ggml's block_q8_K).
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } block_x8k;

_Static_assert(sizeof(block_q4_0) == 18, "q4_0");
_Static_assert(sizeof(block_q4_1) == 20, "q4_1");
_Static_assert(sizeof(block_q5_0) == 22, "q5_0");
_Static_assert(sizeof(block_q5_1) == 24, "q5_1");
_Static_assert(sizeof(block_q8_0) == 34, "q8_0");
_Static_assert(sizeof(block_q4_K) == 144, "q4_K");
_Static_assert(sizeof(block_q5_K) == 176, "q5_K");
_Static_assert(sizeof(block_q6_K) == 210, "q6_K");
_Static_assert(sizeof(block_x8) == 72, "x8");
_Static_assert(sizeof(block_x8k) == 292, "x8k");

enum { T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14 };

static inline int is_k_type(int type) { return type == T_Q4_K || type == T_Q5_K || type == T_Q6_K; }

int sl_q_supports(int type) {
    switch (type) {
    case T_Q4_0: case T_Q4_1: case T_Q5_0: case T_Q5_1: case T_Q8_0: case T_Q4_K: case T_Q5_K: case T_Q6_K: return 1;
    default: return 0;
    }
}

size_t sl_q8_packed_bytes(int type, int k) {
    return is_k_type(type) ? (size_t)(k / 256) * sizeof(block_x8k) : (size_t)(k / 32) * sizeof(block_x8);
}

void sl_q8_pack(int type, int k, const int16_t *q, const float *d, const float *s, void *out) {
    if (is_k_type(type)) {
        block_x8k *y = (block_x8k *)out;
        for (int b = 0; b < k / 256; b++) {
            y[b].d = d[b];
            const int16_t *v = q + 256 * b;
            for (int i = 0; i < 256; i++) y[b].qs[i] = (int8_t)v[i];
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += v[16 * g + i];
                y[b].bsums[g] = (int16_t)sum;
            }
        }
    } else {
        block_x8 *y = (block_x8 *)out;
        const int bias = type == T_Q4_0 ? 8 : type == T_Q5_0 ? 16 : type == T_Q8_0 ? 128 : 0;
        for (int b = 0; b < k / 32; b++) {
            y[b].d = d[b];
            y[b].s = s ? s[b] : 0.0f;
            for (int i = 0; i < 32; i++) y[b].qs[i] = (int8_t)q[32 * b + i];
            for (int l = 0; l < 8; l++) {
                const int16_t *v = q + 32 * b + 4 * l;
                y[b].c[l] = -bias * (v[0] + v[1] + v[2] + v[3]);
            }
        }
    }
}

// MARK: float16

/// Exact float16 -> float32 without F16C (subnormals via an integer, no denormal float operands).
static inline float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16, magnitude = h & 0x7FFFu;
    uint32_t bits;
    if (magnitude >= 0x7C00u) bits = sign | 0x7F800000u | ((magnitude & 0x3FFu) << 13);
    else if (magnitude >= 0x0400u) bits = sign | ((magnitude << 13) + (112u << 23));
    else {
        const float f = (float)magnitude * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// MARK: Scalar (portable) kernels

static inline void k4_scales(const uint8_t *scales, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            sc[j] = scales[j] & 63;
            m[j] = scales[j + 4] & 63;
        } else {
            sc[j] = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
            m[j] = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
        }
    }
}

static float dot_q4_0_scalar(int n, const void *vw, const void *vx) {
    const block_q4_0 *w = vw;
    const block_x8 *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 32; b++) {
        int s = 0;
        for (int j = 0; j < 16; j++)
            s += ((w[b].qs[j] & 0xF) - 8) * x[b].qs[j] + ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
        sum += (half_to_float(w[b].d) * x[b].d) * (float)s;
    }
    return sum;
}

static float dot_q4_1_scalar(int n, const void *vw, const void *vx) {
    const block_q4_1 *w = vw;
    const block_x8 *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 32; b++) {
        int s = 0;
        for (int j = 0; j < 16; j++) s += (w[b].qs[j] & 0xF) * x[b].qs[j] + (w[b].qs[j] >> 4) * x[b].qs[j + 16];
        sum += (half_to_float(w[b].d) * x[b].d) * (float)s + half_to_float(w[b].m) * x[b].s;
    }
    return sum;
}

static float dot_q5_0_scalar(int n, const void *vw, const void *vx) {
    const block_q5_0 *w = vw;
    const block_x8 *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 32; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, 4);
        int s = 0;
        for (int j = 0; j < 16; j++) {
            const int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
            s += (((w[b].qs[j] & 0xF) | h0) - 16) * x[b].qs[j] + (((w[b].qs[j] >> 4) | h1) - 16) * x[b].qs[j + 16];
        }
        sum += (half_to_float(w[b].d) * x[b].d) * (float)s;
    }
    return sum;
}

static float dot_q5_1_scalar(int n, const void *vw, const void *vx) {
    const block_q5_1 *w = vw;
    const block_x8 *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 32; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, 4);
        int s = 0;
        for (int j = 0; j < 16; j++) {
            const int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
            s += ((w[b].qs[j] & 0xF) | h0) * x[b].qs[j] + ((w[b].qs[j] >> 4) | h1) * x[b].qs[j + 16];
        }
        sum += (half_to_float(w[b].d) * x[b].d) * (float)s + half_to_float(w[b].m) * x[b].s;
    }
    return sum;
}

static float dot_q8_0_scalar(int n, const void *vw, const void *vx) {
    const block_q8_0 *w = vw;
    const block_x8 *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 32; b++) {
        int s = 0;
        for (int j = 0; j < 32; j++) s += w[b].qs[j] * x[b].qs[j];
        sum += (half_to_float(w[b].d) * x[b].d) * (float)s;
    }
    return sum;
}

static float dot_q4_K_scalar(int n, const void *vw, const void *vx) {
    const block_q4_K *w = vw;
    const block_x8k *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 256; b++) {
        uint8_t sc[8], m[8];
        k4_scales(w[b].scales, sc, m);
        int total = 0, mins = 0;
        for (int k = 0; k < 4; k++) {
            const uint8_t *q = w[b].qs + 32 * k;
            const int8_t *lo = x[b].qs + 64 * k, *hi = lo + 32;
            int sl = 0, sh = 0;
            for (int l = 0; l < 32; l++) {
                sl += (q[l] & 0xF) * lo[l];
                sh += (q[l] >> 4) * hi[l];
            }
            total += sc[2 * k] * sl + sc[2 * k + 1] * sh;
        }
        for (int g = 0; g < 8; g++) mins += m[g] * (x[b].bsums[2 * g] + x[b].bsums[2 * g + 1]);
        sum += x[b].d * half_to_float(w[b].d) * (float)total - x[b].d * half_to_float(w[b].dmin) * (float)mins;
    }
    return sum;
}

static float dot_q5_K_scalar(int n, const void *vw, const void *vx) {
    const block_q5_K *w = vw;
    const block_x8k *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 256; b++) {
        uint8_t sc[8], m[8];
        k4_scales(w[b].scales, sc, m);
        int total = 0, mins = 0;
        for (int k = 0; k < 4; k++) {
            const uint8_t *q = w[b].qs + 32 * k;
            const int8_t *lo = x[b].qs + 64 * k, *hi = lo + 32;
            int sl = 0, sh = 0;
            for (int l = 0; l < 32; l++) {
                const int h = w[b].qh[l];
                sl += ((q[l] & 0xF) | (((h >> (2 * k)) & 1) << 4)) * lo[l];
                sh += ((q[l] >> 4) | (((h >> (2 * k + 1)) & 1) << 4)) * hi[l];
            }
            total += sc[2 * k] * sl + sc[2 * k + 1] * sh;
        }
        for (int g = 0; g < 8; g++) mins += m[g] * (x[b].bsums[2 * g] + x[b].bsums[2 * g + 1]);
        sum += x[b].d * half_to_float(w[b].d) * (float)total - x[b].d * half_to_float(w[b].dmin) * (float)mins;
    }
    return sum;
}

static float dot_q6_K_scalar(int n, const void *vw, const void *vx) {
    const block_q6_K *w = vw;
    const block_x8k *x = vx;
    float sum = 0;
    for (int b = 0; b < n / 256; b++) {
        int total = 0;
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = w[b].ql + 64 * half, *qh = w[b].qh + 32 * half;
            const int8_t *y = x[b].qs + 128 * half;
            const int8_t *sc = w[b].scales + 8 * half;
            int s[8] = {0};
            for (int l = 0; l < 32; l++) {
                const int h = qh[l], g = l / 16;
                s[0 + g] += (((ql[l] & 0xF) | ((h & 3) << 4)) - 32) * y[l];
                s[2 + g] += (((ql[l + 32] & 0xF) | (((h >> 2) & 3) << 4)) - 32) * y[l + 32];
                s[4 + g] += (((ql[l] >> 4) | (((h >> 4) & 3) << 4)) - 32) * y[l + 64];
                s[6 + g] += (((ql[l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32) * y[l + 96];
            }
            for (int g = 0; g < 8; g++) total += sc[g] * s[g];
        }
        sum += x[b].d * half_to_float(w[b].d) * (float)total;
    }
    return sum;
}

// MARK: AVX2 helpers

AVX2_INLINE float hsum_float_8(const __m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

AVX2_INLINE float h2f(uint16_t h) { return _cvtsh_ss(h); }

/// 32 nibbles: bytes 0...15 the low nibbles of q[0...15], bytes 16...31 the high ones.
AVX2_INLINE __m256i nibbles_32(const uint8_t *q) {
    const __m128i t = _mm_loadu_si128((const __m128i *)q);
    return _mm256_and_si256(_mm256_set1_epi8(0xF), _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1));
}

/// Byte j = 0xFF where bit j of the little-endian uint32 at q is set.
AVX2_INLINE __m256i bits_32(const uint8_t *q) {
    uint32_t x32;
    memcpy(&x32, q, 4);
    const __m256i shuffle = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x32), shuffle);
    bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1));
}

/// Sums of 4 adjacent products of unsigned bytes u and signed bytes s, as int32
/// (maddubs's int16 pairs cannot saturate: |u| <= 128, |s| <= 127).
AVX2_INLINE __m256i dot_us_32(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_set1_epi16(1), _mm256_maddubs_epi16(u, s));
}

/// The same for two signed byte vectors (sign moved onto y).
AVX2_INLINE __m256i dot_ss_32(__m256i w, __m256i y) {
    return dot_us_32(_mm256_sign_epi8(w, w), _mm256_sign_epi8(y, w));
}

// MARK: AVX2 kernels (legacy types)

AVX2 static float dot_q4_0_avx2(int n, const void *vw, const void *vx) {
    const block_q4_0 *w = vw;
    const block_x8 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 32; b++) {
        const __m256 d = _mm256_set1_ps(h2f(w[b].d) * x[b].d);
        const __m256i q = _mm256_sub_epi8(nibbles_32(w[b].qs), _mm256_set1_epi8(8));
        const __m256i s = dot_ss_32(q, _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s), acc);
    }
    return hsum_float_8(acc);
}

AVX2 static float dot_q4_1_avx2(int n, const void *vw, const void *vx) {
    const block_q4_1 *w = vw;
    const block_x8 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / 32; b++) {
        const __m256 d = _mm256_set1_ps(h2f(w[b].d) * x[b].d);
        mins += h2f(w[b].m) * x[b].s;
        const __m256i s = dot_us_32(nibbles_32(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s), acc);
    }
    return hsum_float_8(acc) + mins;
}

AVX2 static float dot_q5_0_avx2(int n, const void *vw, const void *vx) {
    const block_q5_0 *w = vw;
    const block_x8 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 32; b++) {
        const __m256 d = _mm256_set1_ps(h2f(w[b].d) * x[b].d);
        // (nibble | bit << 4) - 16: or 0xF0 (= -16) where the bit is clear.
        const __m256i high = _mm256_andnot_si256(bits_32(w[b].qh), _mm256_set1_epi8((char)0xF0));
        const __m256i q = _mm256_or_si256(nibbles_32(w[b].qs), high);
        const __m256i s = dot_ss_32(q, _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s), acc);
    }
    return hsum_float_8(acc);
}

AVX2 static float dot_q5_1_avx2(int n, const void *vw, const void *vx) {
    const block_q5_1 *w = vw;
    const block_x8 *x = vx;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / 32; b++) {
        const __m256 d = _mm256_set1_ps(h2f(w[b].d) * x[b].d);
        mins += h2f(w[b].m) * x[b].s;
        const __m256i high = _mm256_and_si256(bits_32(w[b].qh), _mm256_set1_epi8(0x10));
        const __m256i q = _mm256_or_si256(nibbles_32(w[b].qs), high);
        const __m256i s = dot_us_32(q, _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s), acc);
    }
    return hsum_float_8(acc) + mins;
}

AVX2 static float dot_q8_0_avx2(int n, const void *vw, const void *vx) {
    const block_q8_0 *w = vw;
    const block_x8 *x = vx;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int nb = n / 32;
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256 d0 = _mm256_set1_ps(h2f(w[b].d) * x[b].d);
        const __m256 d1 = _mm256_set1_ps(h2f(w[b + 1].d) * x[b + 1].d);
        const __m256i s0 = dot_ss_32(_mm256_loadu_si256((const __m256i *)w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        const __m256i s1 = dot_ss_32(_mm256_loadu_si256((const __m256i *)w[b + 1].qs), _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(s1), acc1);
    }
    for (; b < nb; b++) {
        const __m256 d = _mm256_set1_ps(h2f(w[b].d) * x[b].d);
        const __m256i s = dot_ss_32(_mm256_loadu_si256((const __m256i *)w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s), acc0);
    }
    return hsum_float_8(_mm256_add_ps(acc0, acc1));
}

// MARK: AVX2 kernels (k-quants)

static const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;

/// The 8 six-bit scales (bytes 0...7) and minimums (bytes 8...15) of a Q4_K/Q5_K block.
static inline void k4_scales_packed(const uint8_t *scales, uint32_t utmp[4]) {
    memcpy(utmp, scales, 12);
    utmp[3] = ((utmp[2] >> 4) & kmask2) | (((utmp[1] >> 6) & kmask3) << 4);
    const uint32_t uaux = utmp[1] & kmask1;
    utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >> 6) & kmask3) << 4);
    utmp[2] = uaux;
    utmp[0] &= kmask1;
}

/// Σ m[g] · (sum of the 32 activations of group g), g < 8, as int32 (exact).
AVX2_INLINE int k_mins(const __m256i mins_and_scales, const int16_t *bsums) {
    const __m256i sums16 = _mm256_loadu_si256((const __m256i *)bsums);
    const __m128i sums32 = _mm_hadd_epi16(_mm256_castsi256_si128(sums16), _mm256_extracti128_si256(sums16, 1));
    __m128i p = _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), sums32);
    p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 1));
    return _mm_cvtsi128_si32(p);
}

AVX2 static float dot_q4_K_avx2(int n, const void *vw, const void *vx) {
    const block_q4_K *w = vw;
    const block_x8k *x = vx;
    const __m256i m4 = _mm256_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / 256; b++) {
        const float d = x[b].d * h2f(w[b].d), dmin = x[b].d * h2f(w[b].dmin);
        uint32_t utmp[4];
        k4_scales_packed(w[b].scales, utmp);
        const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int)utmp[3], (int)utmp[2], (int)utmp[1], (int)utmp[0]));
        mins += dmin * (float)k_mins(mins_and_scales, x[b].bsums);
        const uint8_t *sc = (const uint8_t *)utmp;  // the scales, bytes 0...7
        const uint8_t *q4 = w[b].qs;
        const int8_t *q8 = x[b].qs;
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++) {
            const __m256i scale_l = _mm256_set1_epi16(sc[2 * j]), scale_h = _mm256_set1_epi16(sc[2 * j + 1]);
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q4 + 32 * j));
            const __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            const __m256i pl = _mm256_madd_epi16(scale_l, _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j))));
            const __m256i ph = _mm256_madd_epi16(scale_h, _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j + 32))));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc) - mins;
}

AVX2 static float dot_q5_K_avx2(int n, const void *vw, const void *vx) {
    const block_q5_K *w = vw;
    const block_x8k *x = vx;
    const __m256i m4 = _mm256_set1_epi8(0xF), bit4 = _mm256_set1_epi8(0x10);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    for (int b = 0; b < n / 256; b++) {
        const float d = x[b].d * h2f(w[b].d), dmin = x[b].d * h2f(w[b].dmin);
        uint32_t utmp[4];
        k4_scales_packed(w[b].scales, utmp);
        const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int)utmp[3], (int)utmp[2], (int)utmp[1], (int)utmp[0]));
        mins += dmin * (float)k_mins(mins_and_scales, x[b].bsums);
        const uint8_t *sc = (const uint8_t *)utmp;
        const uint8_t *q5 = w[b].qs;
        const int8_t *q8 = x[b].qs;
        const __m256i hbits = _mm256_loadu_si256((const __m256i *)w[b].qh);
        __m256i hmask = _mm256_set1_epi8(1);
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++) {
            const __m256i scale_l = _mm256_set1_epi16(sc[2 * j]), scale_h = _mm256_set1_epi16(sc[2 * j + 1]);
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q5 + 32 * j));
            const __m256i hl = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, hmask), hmask), bit4);
            hmask = _mm256_add_epi8(hmask, hmask);
            const __m256i hh = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, hmask), hmask), bit4);
            hmask = _mm256_add_epi8(hmask, hmask);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(bits, m4), hl);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), hh);
            const __m256i pl = _mm256_madd_epi16(scale_l, _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j))));
            const __m256i ph = _mm256_madd_epi16(scale_h, _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j + 32))));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc) - mins;
}

/// Two int8 scales as int16 lanes: a in lanes 0...7, b in lanes 8...15.
AVX2_INLINE __m256i scale_pair(int8_t a, int8_t b) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16(a)), _mm_set1_epi16(b), 1);
}

AVX2 static float dot_q6_K_avx2(int n, const void *vw, const void *vx) {
    const block_q6_K *w = vw;
    const block_x8k *x = vx;
    const __m256i m4 = _mm256_set1_epi8(0xF), m2 = _mm256_set1_epi8(3), m32s = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 256; b++) {
        const float d = x[b].d * h2f(w[b].d);
        const uint8_t *q4 = w[b].ql, *qh = w[b].qh;
        const int8_t *q8 = x[b].qs, *sc = w[b].scales;
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 2; j++) {
            const __m256i bits1 = _mm256_loadu_si256((const __m256i *)(q4 + 64 * j));
            const __m256i bits2 = _mm256_loadu_si256((const __m256i *)(q4 + 64 * j + 32));
            const __m256i bitsH = _mm256_loadu_si256((const __m256i *)(qh + 32 * j));
            const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(bitsH, m2), 4);
            const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 2), m2), 4);
            const __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 4), m2), 4);
            const __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 6), m2), 4);
            const __m256i q0 = _mm256_or_si256(_mm256_and_si256(bits1, m4), h0);
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(bits2, m4), h1);
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits1, 4), m4), h2);
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits2, 4), m4), h3);
            const __m256i y0 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j));
            const __m256i y1 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 32));
            const __m256i y2 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 64));
            const __m256i y3 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 96));
            // (q - 32) · y = q · y - 32 · y, both pairs within int16.
            __m256i p0 = _mm256_sub_epi16(_mm256_maddubs_epi16(q0, y0), _mm256_maddubs_epi16(m32s, y0));
            __m256i p1 = _mm256_sub_epi16(_mm256_maddubs_epi16(q1, y1), _mm256_maddubs_epi16(m32s, y1));
            __m256i p2 = _mm256_sub_epi16(_mm256_maddubs_epi16(q2, y2), _mm256_maddubs_epi16(m32s, y2));
            __m256i p3 = _mm256_sub_epi16(_mm256_maddubs_epi16(q3, y3), _mm256_maddubs_epi16(m32s, y3));
            const int8_t *s = sc + 8 * j;
            p0 = _mm256_madd_epi16(scale_pair(s[0], s[1]), p0);
            p1 = _mm256_madd_epi16(scale_pair(s[2], s[3]), p1);
            p2 = _mm256_madd_epi16(scale_pair(s[4], s[5]), p2);
            p3 = _mm256_madd_epi16(scale_pair(s[6], s[7]), p3);
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_float_8(acc);
}

// MARK: AVX2 batched tiles (prefill): one row x 4 columns per pass

/// The same per-column operations as dot_q4_K_avx2 / dot_q6_K_avx2 (the same
/// integer lane sums, scales and fma order), with each weight block unpacked
/// once for 4 activation columns.
typedef void (*tile_fn)(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy);

enum { TILE_COLUMNS = 4 };

AVX2_INLINE void q4_K_row4(int n, const block_q4_K *w, const uint8_t *vx, size_t x_stride, float *y, size_t ldy) {
    enum { NC = TILE_COLUMNS };
    const __m256i m4 = _mm256_set1_epi8(0xF);
    __m256 acc[NC];
    float mins[NC];
    for (int c = 0; c < NC; c++) { acc[c] = _mm256_setzero_ps(); mins[c] = 0; }
    for (int b = 0; b < n / 256; b++) {
        uint32_t utmp[4];
        k4_scales_packed(w[b].scales, utmp);
        const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int)utmp[3], (int)utmp[2], (int)utmp[1], (int)utmp[0]));
        const uint8_t *sc = (const uint8_t *)utmp;
        const uint8_t *q4 = w[b].qs;
        const block_x8k *x[NC];
        __m256i sumi[NC];
        for (int c = 0; c < NC; c++) {
            x[c] = (const block_x8k *)(vx + (size_t)c * x_stride) + b;
            sumi[c] = _mm256_setzero_si256();
        }
        for (int j = 0; j < 4; j++) {
            const __m256i scale_l = _mm256_set1_epi16(sc[2 * j]), scale_h = _mm256_set1_epi16(sc[2 * j + 1]);
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q4 + 32 * j));
            const __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            for (int c = 0; c < NC; c++) {
                const int8_t *q8 = x[c]->qs;
                const __m256i pl = _mm256_madd_epi16(scale_l, _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j))));
                const __m256i ph = _mm256_madd_epi16(scale_h, _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j + 32))));
                sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(pl, ph));
            }
        }
        const float wd = h2f(w[b].d), wdmin = h2f(w[b].dmin);
        for (int c = 0; c < NC; c++) {
            const float d = x[c]->d * wd, dmin = x[c]->d * wdmin;
            mins[c] += dmin * (float)k_mins(mins_and_scales, x[c]->bsums);
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) y[(size_t)c * ldy] = hsum_float_8(acc[c]) - mins[c];
}

AVX2 static void tile_q4_K_avx2(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy) {
    for (int r = 0; r < rows; r++) q4_K_row4(k, (const block_q4_K *)(w + (size_t)r * row_bytes), x, x_stride, y + r, ldy);
}

AVX2_INLINE void q6_K_row4(int n, const block_q6_K *w, const uint8_t *vx, size_t x_stride, float *y, size_t ldy) {
    enum { NC = TILE_COLUMNS };
    const __m256i m4 = _mm256_set1_epi8(0xF), m2 = _mm256_set1_epi8(3), m32s = _mm256_set1_epi8(32);
    __m256 acc[NC];
    for (int c = 0; c < NC; c++) acc[c] = _mm256_setzero_ps();
    for (int b = 0; b < n / 256; b++) {
        const uint8_t *q4 = w[b].ql, *qh = w[b].qh;
        const int8_t *sc = w[b].scales;
        const block_x8k *x[NC];
        __m256i sumi[NC];
        for (int c = 0; c < NC; c++) {
            x[c] = (const block_x8k *)(vx + (size_t)c * x_stride) + b;
            sumi[c] = _mm256_setzero_si256();
        }
        for (int j = 0; j < 2; j++) {
            const __m256i bits1 = _mm256_loadu_si256((const __m256i *)(q4 + 64 * j));
            const __m256i bits2 = _mm256_loadu_si256((const __m256i *)(q4 + 64 * j + 32));
            const __m256i bitsH = _mm256_loadu_si256((const __m256i *)(qh + 32 * j));
            const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(bitsH, m2), 4);
            const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 2), m2), 4);
            const __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 4), m2), 4);
            const __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 6), m2), 4);
            const __m256i q0 = _mm256_or_si256(_mm256_and_si256(bits1, m4), h0);
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(bits2, m4), h1);
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits1, 4), m4), h2);
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits2, 4), m4), h3);
            const int8_t *s = sc + 8 * j;
            const __m256i s0 = scale_pair(s[0], s[1]), s1 = scale_pair(s[2], s[3]);
            const __m256i s2 = scale_pair(s[4], s[5]), s3 = scale_pair(s[6], s[7]);
            for (int c = 0; c < NC; c++) {
                const int8_t *q8 = x[c]->qs;
                const __m256i y0 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j));
                const __m256i y1 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 32));
                const __m256i y2 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 64));
                const __m256i y3 = _mm256_loadu_si256((const __m256i *)(q8 + 128 * j + 96));
                __m256i p0 = _mm256_sub_epi16(_mm256_maddubs_epi16(q0, y0), _mm256_maddubs_epi16(m32s, y0));
                __m256i p1 = _mm256_sub_epi16(_mm256_maddubs_epi16(q1, y1), _mm256_maddubs_epi16(m32s, y1));
                __m256i p2 = _mm256_sub_epi16(_mm256_maddubs_epi16(q2, y2), _mm256_maddubs_epi16(m32s, y2));
                __m256i p3 = _mm256_sub_epi16(_mm256_maddubs_epi16(q3, y3), _mm256_maddubs_epi16(m32s, y3));
                p0 = _mm256_madd_epi16(s0, p0);
                p1 = _mm256_madd_epi16(s1, p1);
                p2 = _mm256_madd_epi16(s2, p2);
                p3 = _mm256_madd_epi16(s3, p3);
                sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
            }
        }
        const float wd = h2f(w[b].d);
        for (int c = 0; c < NC; c++) {
            const float d = x[c]->d * wd;
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) y[(size_t)c * ldy] = hsum_float_8(acc[c]);
}

AVX2 static void tile_q6_K_avx2(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy) {
    for (int r = 0; r < rows; r++) q6_K_row4(k, (const block_q6_K *)(w + (size_t)r * row_bytes), x, x_stride, y + r, ldy);
}

/// Q5_0 / Q8_0 (AVX2): the dot kernels' signed values and per-column lane sums
/// (dot_ss_32), block b into accumulator b & 1 for Q8_0 (as its two-block loop)
/// and into one accumulator for Q5_0; R rows x 4 columns per pass.
AVX2_INLINE void legacy_tile_avx2(const int type, const int R, int k, const uint8_t *w, size_t row_bytes, const uint8_t *vx, size_t x_stride, float *y, size_t ldy) {
    enum { NC = TILE_COLUMNS };
    const size_t wsize = type == T_Q8_0 ? sizeof(block_q8_0) : sizeof(block_q5_0);
    const int P = type == T_Q8_0 ? 2 : 1;
    __m256 acc[R][NC][2];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < NC; c++) acc[r][c][0] = acc[r][c][1] = _mm256_setzero_ps();
    for (int b = 0; b < k / 32; b++) {
        const int p = P == 2 ? (b & 1) : 0;
        __m256i wa[R], ws[R];  // |q| and q (for the sign of y)
        float wd[R];
        for (int r = 0; r < R; r++) {
            const uint8_t *block = w + (size_t)r * row_bytes + (size_t)b * wsize;
            __m256i q;
            if (type == T_Q8_0) {
                q = _mm256_loadu_si256((const __m256i *)((const block_q8_0 *)block)->qs);
            } else {
                const block_q5_0 *bq = (const block_q5_0 *)block;
                const __m256i high = _mm256_andnot_si256(bits_32(bq->qh), _mm256_set1_epi8((char)0xF0));
                q = _mm256_or_si256(nibbles_32(bq->qs), high);
            }
            ws[r] = q;
            wa[r] = _mm256_sign_epi8(q, q);
            uint16_t h;
            memcpy(&h, block, 2);
            wd[r] = h2f(h);
        }
        for (int c = 0; c < NC; c++) {
            const block_x8 *xb = (const block_x8 *)(vx + (size_t)c * x_stride) + b;
            const __m256i yv = _mm256_loadu_si256((const __m256i *)xb->qs);
            const float xd = xb->d;
            for (int r = 0; r < R; r++) {
                const __m256i s = dot_us_32(wa[r], _mm256_sign_epi8(yv, ws[r]));
                acc[r][c][p] = _mm256_fmadd_ps(_mm256_set1_ps(wd[r] * xd), _mm256_cvtepi32_ps(s), acc[r][c][p]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < NC; c++)
            y[(size_t)c * ldy + r] = P == 2 ? hsum_float_8(_mm256_add_ps(acc[r][c][0], acc[r][c][1])) : hsum_float_8(acc[r][c][0]);
}

AVX2 static void tile_q5_0_avx2(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy) {
    for (int r = 0; r < rows; r++) legacy_tile_avx2(T_Q5_0, 1, k, w + (size_t)r * row_bytes, row_bytes, x, x_stride, y + r, ldy);
}

AVX2 static void tile_q8_0_avx2(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy) {
    for (int r = 0; r < rows; r++) legacy_tile_avx2(T_Q8_0, 1, k, w + (size_t)r * row_bytes, row_bytes, x, x_stride, y + r, ldy);
}

// MARK: CPU detection and dispatch

typedef float (*dot_fn)(int, const void *, const void *);

static int detect_level(void) {
    if (!sl_cpu_has(SL_CPU_AVX | SL_CPU_AVX2 | SL_CPU_FMA | SL_CPU_F16C)) return SL_Q_LEVEL_SCALAR;
    if (sl_cpu_has(SL_CPU_AVX512F | SL_CPU_AVX512BW | SL_CPU_AVX512VL | SL_CPU_AVX512_VNNI)) return SL_Q_LEVEL_AVX512;
    return SL_Q_LEVEL_AVX2;
}

static _Atomic int g_level = 0;

int sl_q_max_level(void) {
    int level = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (level == 0) {
        level = detect_level();
        atomic_store_explicit(&g_level, level, memory_order_relaxed);
    }
    return level;
}

/// AVX-512 versions (quant_dot_avx512.c); NULL where AVX2 is as good.
dot_fn sl_q_avx512_function(int type);
dot_fn sl_q_dot_function(int type, int level);

dot_fn sl_q_dot_function(int type, int level) {
    const int max = sl_q_max_level();
    if (level <= 0 || level > max) level = max;
    if (level >= SL_Q_LEVEL_AVX512) {
        const dot_fn f = sl_q_avx512_function(type);
        if (f) return f;
    }
    if (level >= SL_Q_LEVEL_AVX2) {
        switch (type) {
        case T_Q4_0: return dot_q4_0_avx2;
        case T_Q4_1: return dot_q4_1_avx2;
        case T_Q5_0: return dot_q5_0_avx2;
        case T_Q5_1: return dot_q5_1_avx2;
        case T_Q8_0: return dot_q8_0_avx2;
        case T_Q4_K: return dot_q4_K_avx2;
        case T_Q5_K: return dot_q5_K_avx2;
        case T_Q6_K: return dot_q6_K_avx2;
        }
    }
    switch (type) {
    case T_Q4_0: return dot_q4_0_scalar;
    case T_Q4_1: return dot_q4_1_scalar;
    case T_Q5_0: return dot_q5_0_scalar;
    case T_Q5_1: return dot_q5_1_scalar;
    case T_Q8_0: return dot_q8_0_scalar;
    case T_Q4_K: return dot_q4_K_scalar;
    case T_Q5_K: return dot_q5_K_scalar;
    case T_Q6_K: return dot_q6_K_scalar;
    }
    return 0;
}

float sl_q_vec_dot(int type, int level, int k, const void *w, const void *x) {
    const dot_fn f = sl_q_dot_function(type, level);
    return f ? f(k, w, x) : 0.0f;
}

/// AVX-512 tiles (quant_dot_avx512.c) for the types whose dot kernel is AVX-512 there.
tile_fn sl_q_avx512_tile(int type);
tile_fn sl_q_tile_function(int type, int level);

/// A kernel for rows x 4 columns that gives, per output, exactly what
/// sl_q_dot_function(type, level) gives; NULL when there is none.
tile_fn sl_q_tile_function(int type, int level) {
    const int max = sl_q_max_level();
    if (level <= 0 || level > max) level = max;
    if (level >= SL_Q_LEVEL_AVX512 && sl_q_avx512_function(type)) return sl_q_avx512_tile(type);
    if (level >= SL_Q_LEVEL_AVX2) {
        switch (type) {
        case T_Q4_K: return tile_q4_K_avx2;
        case T_Q6_K: return tile_q6_K_avx2;
        case T_Q5_0: return tile_q5_0_avx2;
        case T_Q8_0: return tile_q8_0_avx2;
        }
    }
    return 0;
}
