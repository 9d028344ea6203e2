// AVX-512 (F/BW/VL/VNNI) versions of the quantized dot products, where they
// beat AVX2: the legacy types, whose 32-value blocks leave AVX2 compute-bound.
// Still 256-bit vectors (Zen 4 splits zmm in two anyway), but mask registers
// take the Q5 high bits straight from the block's uint32 (kmov instead of a
// shuffle/or/cmpeq), and vpdpbusd replaces maddubs + madd. Signed weights
// are multiplied as q + bias (unsigned), the accumulator starting at the
// activation block's precomputed -bias · Σy (exact integers). Two blocks per
// iteration into two accumulators. Same exact integer sum per block as AVX2.

#include "QuantDot.h"

#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX512_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

typedef float (*dot_fn)(int, const void *, const void *);

typedef struct { uint16_t d; uint8_t qs[16]; } block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[16]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[32]; } block_q8_0;
typedef struct { float d; float s; int32_t c[8]; int8_t qs[32]; } block_x8;

AVX512_INLINE float hsum8(const __m256 x) {
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

AVX512_INLINE __m256i nib32(const uint8_t *q) {
    const __m128i t = _mm_loadu_si128((const __m128i *)q);
    return _mm256_and_si256(_mm256_set1_epi8(0xF), _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1));
}

AVX512_INLINE __mmask32 bits32(const uint8_t *q) {
    uint32_t v;
    memcpy(&v, q, 4);
    return _cvtu32_mask32(v);
}

AVX512_INLINE __m256 scale(uint16_t wd, float xd) { return _mm256_set1_ps(_cvtsh_ss(wd) * xd); }

#define Y(b) _mm256_loadu_si256((const __m256i *)x[b].qs)
/// -bias · Σy per lane: vpdpbusd(C(b), q + bias, y) = Σ q · y exactly.
#define C(b) _mm256_loadu_si256((const __m256i *)x[b].c)

AVX512 static float dot_q4_0_avx512(int n, const void *vw, const void *vx) {
    const block_q4_0 *w = vw;
    const block_x8 *x = vx;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int nb = n / 32;
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256i s0 = _mm256_dpbusd_epi32(C(b), nib32(w[b].qs), Y(b));
        const __m256i s1 = _mm256_dpbusd_epi32(C(b + 1), nib32(w[b + 1].qs), Y(b + 1));
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(scale(w[b + 1].d, x[b + 1].d), _mm256_cvtepi32_ps(s1), acc1);
    }
    if (b < nb) acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(C(b), nib32(w[b].qs), Y(b))), acc0);
    return hsum8(_mm256_add_ps(acc0, acc1));
}

AVX512 static float dot_q4_1_avx512(int n, const void *vw, const void *vx) {
    const block_q4_1 *w = vw;
    const block_x8 *x = vx;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0;
    const int nb = n / 32;
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256i s0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), nib32(w[b].qs), Y(b));
        const __m256i s1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), nib32(w[b + 1].qs), Y(b + 1));
        mins += _cvtsh_ss(w[b].m) * x[b].s;
        mins += _cvtsh_ss(w[b + 1].m) * x[b + 1].s;
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(scale(w[b + 1].d, x[b + 1].d), _mm256_cvtepi32_ps(s1), acc1);
    }
    if (b < nb) {
        mins += _cvtsh_ss(w[b].m) * x[b].s;
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), nib32(w[b].qs), Y(b))), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1)) + mins;
}

/// Q5_0 values plus 16: nibble | bit << 4 (unsigned).
AVX512_INLINE __m256i q5_0_values(const block_q5_0 *w) {
    const __m256i v = nib32(w->qs);
    return _mm256_mask_add_epi8(v, bits32(w->qh), v, _mm256_set1_epi8(16));
}

AVX512 static float dot_q5_0_avx512(int n, const void *vw, const void *vx) {
    const block_q5_0 *w = vw;
    const block_x8 *x = vx;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int nb = n / 32;
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256i s0 = _mm256_dpbusd_epi32(C(b), q5_0_values(&w[b]), Y(b));
        const __m256i s1 = _mm256_dpbusd_epi32(C(b + 1), q5_0_values(&w[b + 1]), Y(b + 1));
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(scale(w[b + 1].d, x[b + 1].d), _mm256_cvtepi32_ps(s1), acc1);
    }
    if (b < nb) acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(C(b), q5_0_values(&w[b]), Y(b))), acc0);
    return hsum8(_mm256_add_ps(acc0, acc1));
}

AVX512 static float dot_q5_1_avx512(int n, const void *vw, const void *vx) {
    const block_q5_1 *w = vw;
    const block_x8 *x = vx;
    const __m256i bit4 = _mm256_set1_epi8(16);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0;
    const int nb = n / 32;
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256i v0 = nib32(w[b].qs), v1 = nib32(w[b + 1].qs);
        const __m256i q0 = _mm256_mask_add_epi8(v0, bits32(w[b].qh), v0, bit4);
        const __m256i q1 = _mm256_mask_add_epi8(v1, bits32(w[b + 1].qh), v1, bit4);
        const __m256i s0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q0, Y(b));
        const __m256i s1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q1, Y(b + 1));
        mins += _cvtsh_ss(w[b].m) * x[b].s;
        mins += _cvtsh_ss(w[b + 1].m) * x[b + 1].s;
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(scale(w[b + 1].d, x[b + 1].d), _mm256_cvtepi32_ps(s1), acc1);
    }
    if (b < nb) {
        const __m256i v = nib32(w[b].qs);
        const __m256i q = _mm256_mask_add_epi8(v, bits32(w[b].qh), v, bit4);
        mins += _cvtsh_ss(w[b].m) * x[b].s;
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q, Y(b))), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1)) + mins;
}

AVX512 static float dot_q8_0_avx512(int n, const void *vw, const void *vx) {
    const block_q8_0 *w = vw;
    const block_x8 *x = vx;
    const __m256i flip = _mm256_set1_epi8((char)0x80);  // w + 128 as unsigned
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int nb = n / 32;
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256i s0 = _mm256_dpbusd_epi32(C(b), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)w[b].qs), flip), Y(b));
        const __m256i s1 = _mm256_dpbusd_epi32(C(b + 1), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)w[b + 1].qs), flip), Y(b + 1));
        acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(s0), acc0);
        acc1 = _mm256_fmadd_ps(scale(w[b + 1].d, x[b + 1].d), _mm256_cvtepi32_ps(s1), acc1);
    }
    if (b < nb) acc0 = _mm256_fmadd_ps(scale(w[b].d, x[b].d), _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(C(b), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)w[b].qs), flip), Y(b))), acc0);
    return hsum8(_mm256_add_ps(acc0, acc1));
}

dot_fn sl_q_avx512_function(int type);

dot_fn sl_q_avx512_function(int type) {
    switch (type) {
    case 2: return dot_q4_0_avx512;
    case 3: return dot_q4_1_avx512;
    case 6: return dot_q5_0_avx512;
    case 7: return dot_q5_1_avx512;
    case 8: return dot_q8_0_avx512;
    default: return NULL;  // k-quants: AVX2 already streams at memory speed
    }
}

// MARK: Batched tiles (prefill): R rows x 4 columns per pass

/// For Q4_0, Q5_0, Q8_0: the same per-column operations as the dot kernels above
/// (block b into accumulator b & 1, the same vpdpbusd integer sums, the same float
/// scale and fma per lane), but each weight block is unpacked once per tile and
/// each activation block loaded once per tile.
typedef void (*tile_fn)(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy);

AVX512_INLINE __m256i legacy_values(const int type, const uint8_t *block) {
    if (type == 8) return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(block + 2)), _mm256_set1_epi8((char)0x80));
    if (type == 6) return q5_0_values((const block_q5_0 *)block);
    return nib32(((const block_q4_0 *)block)->qs);
}

AVX512_INLINE void legacy_tile(const int type, const int R, int k, const uint8_t *w, size_t row_bytes, const uint8_t *vx, size_t x_stride, float *y, size_t ldy) {
    enum { NC = 4 };
    const size_t wsize = type == 8 ? sizeof(block_q8_0) : type == 6 ? sizeof(block_q5_0) : sizeof(block_q4_0);
    __m256 acc[R][NC][2];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < NC; c++) acc[r][c][0] = acc[r][c][1] = _mm256_setzero_ps();
    const int nb = k / 32;
    for (int b = 0; b < nb; b++) {
        const int p = b & 1;
        __m256i wv[R];
        __m256 wd[R];  // the weight scale in every lane: wd * xd per lane is the dot kernel's scalar product
        for (int r = 0; r < R; r++) {
            const uint8_t *block = w + (size_t)r * row_bytes + (size_t)b * wsize;
            wv[r] = legacy_values(type, block);
            uint16_t h;
            memcpy(&h, block, 2);
            wd[r] = _mm256_set1_ps(_cvtsh_ss(h));
        }
        for (int c = 0; c < NC; c++) {
            const block_x8 *xb = (const block_x8 *)(vx + (size_t)c * x_stride) + b;
            const __m256i yv = _mm256_loadu_si256((const __m256i *)xb->qs), cv = _mm256_loadu_si256((const __m256i *)xb->c);
            const __m256 xd = _mm256_broadcast_ss(&xb->d);
            for (int r = 0; r < R; r++) {
                const __m256i s = _mm256_dpbusd_epi32(cv, wv[r], yv);
                acc[r][c][p] = _mm256_fmadd_ps(_mm256_mul_ps(wd[r], xd), _mm256_cvtepi32_ps(s), acc[r][c][p]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int c = 0; c < NC; c++) y[(size_t)c * ldy + r] = hsum8(_mm256_add_ps(acc[r][c][0], acc[r][c][1]));
}

#define LEGACY_TILE(name, type)                                                                                       \
    AVX512 static void name(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, \
                            float *y, size_t ldy) {                                                                   \
        int r = 0;                                                                                                    \
        for (; r + 2 <= rows; r += 2) legacy_tile(type, 2, k, w + (size_t)r * row_bytes, row_bytes, x, x_stride, y + r, ldy); \
        for (; r < rows; r++) legacy_tile(type, 1, k, w + (size_t)r * row_bytes, row_bytes, x, x_stride, y + r, ldy); \
    }

LEGACY_TILE(tile_q4_0_avx512, 2)
LEGACY_TILE(tile_q5_0_avx512, 6)
LEGACY_TILE(tile_q8_0_avx512, 8)

tile_fn sl_q_avx512_tile(int type);

tile_fn sl_q_avx512_tile(int type) {
    switch (type) {
    case 2: return tile_q4_0_avx512;
    case 6: return tile_q5_0_avx512;
    case 8: return tile_q8_0_avx512;
    default: return NULL;
    }
}
