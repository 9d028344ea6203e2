// Int8 prefill GEMM on AVX-512 VNNI: quantized weight rows repacked once into
// panels of 16 rows whose values are unsigned bytes interleaved 4 at a time
// (one zmm holds 4 consecutive values of each of the 16 rows), so that one
// vpdpbusd with a broadcast group of 4 activation bytes adds 64 products into
// the 16 rows' int32 sums. A tile is 16 rows x up to 8 columns: every weight
// register is loaded once per tile and reused for each column; scales are
// applied per block (legacy types) or per sub-block in int32 (k-quants,
// exactly as the dot kernels' integer block sums) and the blocks are combined
// in float. Columns are blocked so that a chunk of packed activations stays in
// L2 while the row panels of a thread's share stream past it.
//
// Integer block sums are those of the dot kernels of quant_dot.c; only the
// float combination of the blocks differs (order and fma). The dot kernels stay
// in use for decode (one column) and for everything this file does not cover.

#include "QuantDot.h"
#include "worker_pool.h"

#include "CPUFeatures.h"
#include <immintrin.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define VNNI_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

enum { PANEL = 16, MAX_NC = 8 };
enum { T_Q4_0 = 2, T_Q5_0 = 6, T_Q8_0 = 8, T_Q4_K = 12, T_Q6_K = 14 };

// Bytes of one (panel, block) in the repacked layout:
//   legacy (32 values): u8 values [8 groups][16 rows][4] (512), float d[16] (64)
//   Q4_K (256 values): u8 values [64][16][4] (4096), int32 scales [8][16] (512),
//                      int32 minimum pairs [4][16] (two int16, for vpdpwssd) (256), float d[16], dmin[16] (128)
//   Q6_K (256 values): u8 values [64][16][4] (4096), int32 scales [16][16] (1024), float d[16] (64)
enum { LEGACY_BYTES = 576, Q4K_BYTES = 4992, Q6K_BYTES = 5184 };
enum { Q4K_SCALES = 4096, Q4K_MINS = 4608, Q4K_D = 4864, Q4K_DMIN = 4928, Q6K_SCALES = 4096, Q6K_D = 5120 };

// Packed activation columns (sl_q8_quantize): legacy {float d, s; int32 c[8]; int8 q[32]} (72),
// k-quants {float d; int8 q[256]; int16 bsums[16]} (292).
enum { X8_BYTES = 72, X8_Q = 40, X8K_BYTES = 292, X8K_Q = 4, X8K_BSUMS = 260 };

/// Per (column, block) values the tiles need besides the activation bytes,
/// computed once per call: slot 0 the block's scale (float bits), then
/// legacy: Σc (= -bias · Σy); Q4_K: 4 pairs of 32-value sums (int16 x 2, for
/// the minimums); Q6_K: -32 · the 16 sums of 16.
static int side_words(int type) { return type == T_Q4_K ? 5 : type == T_Q6_K ? 17 : 2; }

static int is_legacy(int type) { return type == T_Q4_0 || type == T_Q5_0 || type == T_Q8_0; }

struct sl_qg_weights {
    int type, rows, k, panels, blocks;
    size_t block_bytes;  // one (panel, block)
    size_t panel_bytes;
    uint8_t *data;
};

// MARK: CPU

/// 1 when this CPU and OS run AVX-512 F/BW/VL/VNNI (the dot kernels' level, from the shared probe).
static int has_vnni512(void) { return sl_q_max_level() >= SL_Q_LEVEL_AVX512; }


static _Atomic size_t g_l2;

static size_t cached_l2(void) {
    size_t v = atomic_load_explicit(&g_l2, memory_order_relaxed);
    if (!v) {
        v = sl_cpu_l2_bytes();
        if (v < 256 * 1024) v = 256 * 1024;
        if (v > 4 << 20) v = 4 << 20;
        atomic_store_explicit(&g_l2, v, memory_order_relaxed);
    }
    return v;
}

int sl_qg_supports(int type) {
    return (is_legacy(type) || type == T_Q4_K || type == T_Q6_K) && has_vnni512();
}

// MARK: Repacking (once per matrix)

VNNI_INLINE float h2f(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// The 32 unsigned values (q + bias) and the scale of a legacy block.
VNNI static float legacy_values(int type, const uint8_t *block, uint8_t u[32]) {
    if (type == T_Q8_0) {
        for (int j = 0; j < 32; j++) u[j] = block[2 + j] ^ 0x80;
    } else if (type == T_Q5_0) {
        uint32_t qh;
        memcpy(&qh, block + 2, 4);
        const uint8_t *qs = block + 6;
        for (int j = 0; j < 16; j++) {
            u[j] = (uint8_t)((qs[j] & 0xF) | (((qh >> j) & 1) << 4));
            u[j + 16] = (uint8_t)((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
        }
    } else {
        const uint8_t *qs = block + 2;
        for (int j = 0; j < 16; j++) {
            u[j] = qs[j] & 0xF;
            u[j + 16] = qs[j] >> 4;
        }
    }
    return h2f(block);
}

static void k4_scale_min(const uint8_t *scales, int j, int *sc, int *m) {
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
        *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
    }
}

static void q4_K_values(const uint8_t *block, uint8_t u[256]) {
    const uint8_t *qs = block + 16;
    for (int i = 0; i < 256; i++) {
        const int j = i / 32, l = i % 32;
        const uint8_t q = qs[32 * (j / 2) + l];
        u[i] = j % 2 ? q >> 4 : q & 0xF;
    }
}

static void q6_K_values(const uint8_t *block, uint8_t u[256]) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = block + 64 * h, *qh = block + 128 + 32 * h;
        uint8_t *o = u + 128 * h;
        for (int l = 0; l < 32; l++) {
            o[l] = (uint8_t)((ql[l] & 0xF) | ((qh[l] & 3) << 4));
            o[l + 32] = (uint8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
            o[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            o[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
    }
}

/// Values of row r (of the panel) at value index i in the interleaved layout.
static inline void put(uint8_t *out, int r, int i, uint8_t v) { out[(i / 4) * 64 + r * 4 + i % 4] = v; }

VNNI static void pack_panel(const sl_qg_weights *g, const uint8_t *w, size_t row_bytes, int p) {
    uint8_t *panel = g->data + (size_t)p * g->panel_bytes;
    memset(panel, 0, g->panel_bytes);  // rows past the end: zero values and scales
    const size_t in_block = is_legacy(g->type) ? (g->type == T_Q8_0 ? 34 : g->type == T_Q5_0 ? 22 : 18) : g->type == T_Q4_K ? 144 : 210;
    for (int r = 0; r < PANEL && p * PANEL + r < g->rows; r++) {
        const uint8_t *row = w + (size_t)(p * PANEL + r) * row_bytes;
        for (int b = 0; b < g->blocks; b++) {
            const uint8_t *block = row + (size_t)b * in_block;
            uint8_t *out = panel + (size_t)b * g->block_bytes;
            if (is_legacy(g->type)) {
                uint8_t u[32];
                const float d = legacy_values(g->type, block, u);
                for (int i = 0; i < 32; i++) put(out, r, i, u[i]);
                memcpy(out + 512 + 4 * r, &d, 4);
            } else if (g->type == T_Q4_K) {
                uint8_t u[256];
                q4_K_values(block, u);
                for (int i = 0; i < 256; i++) put(out, r, i, u[i]);
                int sc[8], m[8];
                for (int j = 0; j < 8; j++) k4_scale_min(block + 4, j, &sc[j], &m[j]);
                for (int j = 0; j < 8; j++) memcpy(out + Q4K_SCALES + 64 * j + 4 * r, &sc[j], 4);
                for (int i = 0; i < 4; i++) {
                    const int16_t pair[2] = {(int16_t)m[2 * i], (int16_t)m[2 * i + 1]};
                    memcpy(out + Q4K_MINS + 64 * i + 4 * r, pair, 4);
                }
                const float d = h2f(block), dmin = h2f(block + 2);
                memcpy(out + Q4K_D + 4 * r, &d, 4);
                memcpy(out + Q4K_DMIN + 4 * r, &dmin, 4);
            } else {
                uint8_t u[256];
                q6_K_values(block, u);
                for (int i = 0; i < 256; i++) put(out, r, i, u[i]);
                for (int j = 0; j < 16; j++) {
                    const int sc = (int8_t)block[192 + j];
                    memcpy(out + Q6K_SCALES + 64 * j + 4 * r, &sc, 4);
                }
                const float d = h2f(block + 208);
                memcpy(out + Q6K_D + 4 * r, &d, 4);
            }
        }
    }
}

typedef struct {
    sl_qg_weights *g;
    const uint8_t *w;
    size_t row_bytes;
    _Atomic int next;
} pack_job;

static void pack_task(void *context) {
    pack_job *job = context;
    for (;;) {
        const int p = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (p >= job->g->panels) break;
        pack_panel(job->g, job->w, job->row_bytes, p);
    }
}

// MARK: Memory budget of all repacked copies

/// Bytes all live repacked copies hold, and the most they may hold (0: not yet set,
/// then an eighth of physical memory): a large model gets the GEMM for as many
/// matrices as fit and keeps the dot kernels for the rest, instead of doubling its size.
static _Atomic size_t g_packed_total;
static _Atomic size_t g_budget;

static size_t budget(void) {
    size_t b = atomic_load(&g_budget);
    if (!b) {
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        b = pages > 0 && page > 0 ? (size_t)pages / 8 * (size_t)page : (size_t)1 << 30;
        size_t expected = 0;
        if (!atomic_compare_exchange_strong(&g_budget, &expected, b)) b = expected;
    }
    return b;
}

void sl_qg_set_budget(size_t bytes) { atomic_store(&g_budget, bytes); }

size_t sl_qg_get_budget(void) { return budget(); }

size_t sl_qg_total_bytes(void) { return atomic_load(&g_packed_total); }

/// Reserves `bytes` of the budget; 0 when they do not fit.
static int reserve(size_t bytes) {
    const size_t limit = budget();
    size_t total = atomic_load(&g_packed_total);
    do {
        if (bytes > limit || total > limit - bytes) return 0;
    } while (!atomic_compare_exchange_weak(&g_packed_total, &total, total + bytes));
    return 1;
}

sl_qg_weights *sl_qg_pack(int type, const void *w, size_t row_bytes, int rows, int k, int threads) {
    if (!sl_qg_supports(type) || rows <= 0 || k <= 0) return NULL;
    const int block = is_legacy(type) ? 32 : 256;
    if (k % block) return NULL;
    sl_qg_weights *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->type = type;
    g->rows = rows;
    g->k = k;
    g->panels = (rows + PANEL - 1) / PANEL;
    g->blocks = k / block;
    g->block_bytes = is_legacy(type) ? LEGACY_BYTES : type == T_Q4_K ? Q4K_BYTES : Q6K_BYTES;
    g->panel_bytes = g->block_bytes * (size_t)g->blocks;
    if (!reserve(g->panel_bytes * (size_t)g->panels)) {
        free(g);
        return NULL;
    }
    g->data = aligned_alloc(64, g->panel_bytes * (size_t)g->panels);
    if (!g->data) {
        atomic_fetch_sub(&g_packed_total, g->panel_bytes * (size_t)g->panels);
        free(g);
        return NULL;
    }
    pack_job job = {.g = g, .w = w, .row_bytes = row_bytes};
    atomic_init(&job.next, 0);
    if (threads <= 0) threads = sl_q_get_threads();
    if (!sl_pool_run(threads, pack_task, &job)) pack_task(&job);
    return g;
}

void sl_qg_free(sl_qg_weights *g) {
    if (!g) return;
    atomic_fetch_sub(&g_packed_total, g->panel_bytes * (size_t)g->panels);
    free(g->data);
    free(g);
}

size_t sl_qg_bytes(const sl_qg_weights *g) { return g ? g->panel_bytes * (size_t)g->panels : 0; }

// MARK: Tiles: 16 rows x NC columns

/// Activation columns of one tile: packed blocks and side values.
typedef struct {
    const uint8_t *x[MAX_NC];
    const int32_t *side[MAX_NC];
} columns;

VNNI_INLINE __m512i bcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

VNNI_INLINE float side_d(const int32_t *s) {
    float d;
    memcpy(&d, s, 4);
    return d;
}

VNNI_INLINE void store_rows(float *y, __m512 v, int valid) {
    if (valid >= PANEL) _mm512_storeu_ps(y, v);
    else _mm512_mask_storeu_ps(y, (__mmask16)((1u << valid) - 1), v);
}

VNNI_INLINE void legacy_tile(const int NC, const uint8_t *panel, int blocks, const columns *cols, float *y, size_t ldy, int valid) {
    __m512 acc[MAX_NC];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *wb = panel + (size_t)b * LEGACY_BYTES;
        __m512i w[8];
        for (int g = 0; g < 8; g++) w[g] = _mm512_load_si512((const void *)(wb + 64 * g));
        const __m512 wd = _mm512_load_ps((const void *)(wb + 512));
        for (int c = 0; c < NC; c++) {
            const int32_t *s = cols->side[c] + 2 * b;
            const uint8_t *yq = cols->x[c] + (size_t)b * X8_BYTES + X8_Q;
            // Starts at -bias · Σy: Σ (q + bias) · y - bias · Σy = Σ q · y exactly.
            __m512i t = _mm512_set1_epi32(s[1]);
            for (int g = 0; g < 8; g++) t = _mm512_dpbusd_epi32(t, w[g], bcast4(yq + 4 * g));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), _mm512_mul_ps(wd, _mm512_set1_ps(side_d(s))), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) store_rows(y + (size_t)c * ldy, acc[c], valid);
}

VNNI_INLINE void q4_K_tile(const int NC, const uint8_t *panel, int blocks, const columns *cols, float *y, size_t ldy, int valid) {
    __m512 acc[MAX_NC];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *wb = panel + (size_t)b * Q4K_BYTES;
        __m512i total[MAX_NC];
        for (int c = 0; c < NC; c++) total[c] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            __m512i w[8];
            for (int g = 0; g < 8; g++) w[g] = _mm512_load_si512((const void *)(wb + 64 * (8 * j + g)));
            const __m512i sc = _mm512_load_si512((const void *)(wb + Q4K_SCALES + 64 * j));
            for (int c = 0; c < NC; c++) {
                const uint8_t *yq = cols->x[c] + (size_t)b * X8K_BYTES + X8K_Q + 32 * j;
                __m512i t = _mm512_setzero_si512();
                for (int g = 0; g < 8; g++) t = _mm512_dpbusd_epi32(t, w[g], bcast4(yq + 4 * g));
                total[c] = _mm512_add_epi32(total[c], _mm512_mullo_epi32(t, sc));
            }
        }
        const __m512 wd = _mm512_load_ps((const void *)(wb + Q4K_D)), wdmin = _mm512_load_ps((const void *)(wb + Q4K_DMIN));
        __m512i m[4];
        for (int i = 0; i < 4; i++) m[i] = _mm512_load_si512((const void *)(wb + Q4K_MINS + 64 * i));
        for (int c = 0; c < NC; c++) {
            const int32_t *s = cols->side[c] + 5 * b;
            __m512i mins = _mm512_setzero_si512();
            for (int i = 0; i < 4; i++) mins = _mm512_dpwssd_epi32(mins, m[i], _mm512_set1_epi32(s[1 + i]));
            const __m512 xd = _mm512_set1_ps(side_d(s));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total[c]), _mm512_mul_ps(wd, xd), acc[c]);
            acc[c] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(mins), _mm512_mul_ps(wdmin, xd), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) store_rows(y + (size_t)c * ldy, acc[c], valid);
}

VNNI_INLINE void q6_K_tile(const int NC, const uint8_t *panel, int blocks, const columns *cols, float *y, size_t ldy, int valid) {
    __m512 acc[MAX_NC];
    for (int c = 0; c < NC; c++) acc[c] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *wb = panel + (size_t)b * Q6K_BYTES;
        __m512i total[MAX_NC];
        for (int c = 0; c < NC; c++) total[c] = _mm512_setzero_si512();
        for (int j = 0; j < 16; j++) {
            __m512i w[4];
            for (int g = 0; g < 4; g++) w[g] = _mm512_load_si512((const void *)(wb + 64 * (4 * j + g)));
            const __m512i sc = _mm512_load_si512((const void *)(wb + Q6K_SCALES + 64 * j));
            for (int c = 0; c < NC; c++) {
                const uint8_t *yq = cols->x[c] + (size_t)b * X8K_BYTES + X8K_Q + 16 * j;
                // Starts at -32 · Σy of the 16 values: Σ (q + 32) · y - 32 · Σy = Σ q · y.
                __m512i t = _mm512_set1_epi32(cols->side[c][17 * b + 1 + j]);
                for (int g = 0; g < 4; g++) t = _mm512_dpbusd_epi32(t, w[g], bcast4(yq + 4 * g));
                total[c] = _mm512_add_epi32(total[c], _mm512_mullo_epi32(t, sc));
            }
        }
        const __m512 wd = _mm512_load_ps((const void *)(wb + Q6K_D));
        for (int c = 0; c < NC; c++) {
            const __m512 xd = _mm512_set1_ps(side_d(cols->side[c] + 17 * b));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total[c]), _mm512_mul_ps(wd, xd), acc[c]);
        }
    }
    for (int c = 0; c < NC; c++) store_rows(y + (size_t)c * ldy, acc[c], valid);
}

#define TILE_SWITCH(fn, nc, ...)      \
    switch (nc) {                     \
    case 8: fn(8, __VA_ARGS__); break; \
    case 7: fn(7, __VA_ARGS__); break; \
    case 6: fn(6, __VA_ARGS__); break; \
    case 5: fn(5, __VA_ARGS__); break; \
    case 4: fn(4, __VA_ARGS__); break; \
    case 3: fn(3, __VA_ARGS__); break; \
    case 2: fn(2, __VA_ARGS__); break; \
    default: fn(1, __VA_ARGS__); break; \
    }

VNNI static void run_tile(int type, int nc, const uint8_t *panel, int blocks, const columns *cols, float *y, size_t ldy, int valid) {
    if (type == T_Q4_K) {
        TILE_SWITCH(q4_K_tile, nc, panel, blocks, cols, y, ldy, valid)
    } else if (type == T_Q6_K) {
        TILE_SWITCH(q6_K_tile, nc, panel, blocks, cols, y, ldy, valid)
    } else {
        TILE_SWITCH(legacy_tile, nc, panel, blocks, cols, y, ldy, valid)
    }
}

// MARK: Side values of the activations

static void side_values(int type, int blocks, const uint8_t *x, int32_t *side) {
    for (int b = 0; b < blocks; b++) {
        if (is_legacy(type)) {
            const uint8_t *block = x + (size_t)b * X8_BYTES;
            int32_t c[8], sum = 0;
            memcpy(c, block + 8, 32);
            for (int l = 0; l < 8; l++) sum += c[l];
            memcpy(side + 2 * b, block, 4);
            side[2 * b + 1] = sum;
        } else {
            const uint8_t *block = x + (size_t)b * X8K_BYTES;
            int16_t bsums[16];
            memcpy(bsums, block + X8K_BSUMS, 32);
            if (type == T_Q4_K) {
                int32_t *s = side + 5 * b;
                memcpy(s, block, 4);
                for (int i = 0; i < 4; i++) {
                    // Sums of 32 values fit int16 (|Σ| <= 32 · 128).
                    const int16_t pair[2] = {(int16_t)(bsums[4 * i] + bsums[4 * i + 1]), (int16_t)(bsums[4 * i + 2] + bsums[4 * i + 3])};
                    memcpy(s + 1 + i, pair, 4);
                }
            } else {
                int32_t *s = side + 17 * b;
                memcpy(s, block, 4);
                for (int j = 0; j < 16; j++) s[1 + j] = -32 * bsums[j];
            }
        }
    }
}

// MARK: Threads and cache blocking

typedef struct {
    const sl_qg_weights *g;
    const uint8_t *x;
    size_t x_stride;
    const int32_t *side;
    size_t side_stride;  // int32 per column
    int count;
    float *y;
    size_t ldy;
    int group;         // panels per share
    int column_chunk;  // columns whose packed activations stay in L2 together
    _Atomic int next;
} gemm_job;

static void gemm_task(void *context) {
    gemm_job *job = context;
    const sl_qg_weights *g = job->g;
    const int shares = (g->panels + job->group - 1) / job->group;
    for (;;) {
        const int share = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (share >= shares) break;
        const int p0 = share * job->group, p1 = p0 + job->group < g->panels ? p0 + job->group : g->panels;
        for (int c0 = 0; c0 < job->count; c0 += job->column_chunk) {
            const int c1 = c0 + job->column_chunk < job->count ? c0 + job->column_chunk : job->count;
            for (int p = p0; p < p1; p++) {
                const uint8_t *panel = g->data + (size_t)p * g->panel_bytes;
                const int valid = g->rows - p * PANEL < PANEL ? g->rows - p * PANEL : PANEL;
                for (int c = c0; c < c1; c += MAX_NC) {
                    const int nc = c1 - c < MAX_NC ? c1 - c : MAX_NC;
                    columns cols;
                    for (int i = 0; i < nc; i++) {
                        cols.x[i] = job->x + (size_t)(c + i) * job->x_stride;
                        cols.side[i] = job->side + (size_t)(c + i) * job->side_stride;
                    }
                    run_tile(g->type, nc, panel, g->blocks, &cols, job->y + (size_t)c * job->ldy + (size_t)p * PANEL, job->ldy, valid);
                }
            }
        }
    }
}

/// Per-thread scratch (side values; packed activations for the float entry), grown as needed and kept.
static _Thread_local void *g_side;
static _Thread_local size_t g_side_bytes;
static _Thread_local void *g_packed;
static _Thread_local size_t g_packed_bytes;

static void *scratch(void **p, size_t *have, size_t need) {
    if (need > *have) {
        free(*p);
        *p = aligned_alloc(64, (need + 63) & ~(size_t)63);
        *have = *p ? need : 0;
    }
    return *p;
}

int sl_qg_matmul(const sl_qg_weights *g, int threads, const void *x, size_t x_stride, int count, float *y, size_t ldy) {
    if (!g || count <= 0) return g != NULL;
    const size_t side_stride = (size_t)side_words(g->type) * (size_t)g->blocks;
    int32_t *side = scratch(&g_side, &g_side_bytes, side_stride * 4 * (size_t)count);
    if (!side) return 0;
    for (int c = 0; c < count; c++) side_values(g->type, g->blocks, (const uint8_t *)x + (size_t)c * x_stride, side + (size_t)c * side_stride);
    gemm_job job = {.g = g, .x = x, .x_stride = x_stride, .side = side, .side_stride = side_stride, .count = count, .y = y, .ldy = ldy};
    atomic_init(&job.next, 0);
    if (threads <= 0) threads = sl_q_get_threads();
    if (threads > SL_POOL_MAX_THREADS) threads = SL_POOL_MAX_THREADS;
    // A chunk of columns fills about half of L2, the rest holds the panel being read.
    const size_t l2 = cached_l2();
    int chunk = (int)(l2 / 2 / (x_stride ? x_stride : 1));
    chunk = chunk / MAX_NC * MAX_NC;
    if (chunk < MAX_NC) chunk = MAX_NC;
    job.column_chunk = chunk;
    // Panel groups: about a quarter of L2 of weights, and at least 4 shares per thread.
    int group = (int)(l2 / 4 / g->panel_bytes);
    if (group < 1) group = 1;
    const int balanced = g->panels / (4 * threads);
    if (group > balanced) group = balanced > 1 ? balanced : 1;
    job.group = group;
    if (threads == 1 || !sl_pool_run(threads, gemm_task, &job)) gemm_task(&job);
    return 1;
}

int sl_qg_matmul_f32(const sl_qg_weights *g, int threads, const float *x, size_t ldx, int count, float *y, size_t ldy) {
    if (!g || count <= 0) return g != NULL;
    const size_t stride = (sl_q8_packed_bytes(g->type, g->k) + 63) & ~(size_t)63;
    uint8_t *packed = scratch(&g_packed, &g_packed_bytes, stride * (size_t)count);
    if (!packed) return 0;
    for (int c = 0; c < count; c++)
        if (!sl_q8_quantize(g->type, g->k, x + (size_t)c * ldx, packed + (size_t)c * stride)) return 0;
    return sl_qg_matmul(g, threads, packed, stride, count, y, ldy);
}
