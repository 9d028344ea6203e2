// bfloat16 GEMM with AVX512_BF16: c = a * wᵀ + beta * c.
//
// Layout. w [n, k] is packed once into panels of NR = 32 output columns;
// within a panel, step p (0 ..< ceil(k/2)) holds 32 pairs (w[j, 2p], w[j, 2p+1]),
// i.e. two zmm registers of 16 bf16 pairs, exactly what vdpbf16ps multiplies
// against a broadcast pair (a[r, 2p], a[r, 2p+1]). a is converted per call
// into row panels of up to MR_MAX rows, interleaved by step ([p][r] pairs) so
// the micro-kernel broadcasts from one pointer at constant offsets.
//
// Micro-kernel: mr (<= 12) rows x 32 columns = up to 24 zmm accumulators,
// 2 B loads + mr broadcasts per step. Cache blocking over k (KC pairs per
// block) keeps the B micro-panel in L1 while row panels of A stream from L2.
// Threads take column panels from a shared counter; a persistent pool of workers spins briefly
// between calls, then sleeps on a condition variable.

#include "CKernels.h"
#include "worker_pool.h"

#include <immintrin.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NR 32
#define MR_MAX 12
#define AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// MARK: CPU detection

int sl_cpu_has_avx512_bf16(void) {
    return sl_cpu_has(SL_CPU_AVX512F | SL_CPU_AVX512BW | SL_CPU_AVX512VL | SL_CPU_AVX512_BF16);
}

// MARK: Conversion and weight packing (portable)

uint16_t sl_float_to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float sl_bf16_to_float(uint16_t x) {
    uint32_t u = (uint32_t)x << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline int pairs_of(int k) { return (k + 1) / 2; }
static inline int panels_of(int n) { return (n + NR - 1) / NR; }

size_t sl_bf16_packed_size(int n, int k) {
    if (n <= 0 || k <= 0) return 0;
    return (size_t)panels_of(n) * (size_t)pairs_of(k) * NR * 2;
}

void sl_bf16_pack_strided(const float *w, int n, int k, long row_stride, long column_stride, uint16_t *packed) {
    if (n <= 0 || k <= 0) return;
    const int kp = pairs_of(k);
    memset(packed, 0, sl_bf16_packed_size(n, k) * sizeof(uint16_t));
    for (int j = 0; j < n; j++) {
        const float *row = w + (long)j * row_stride;
        uint16_t *dst = packed + (size_t)(j / NR) * kp * NR * 2 + (size_t)(j % NR) * 2;
        for (int p = 0; p < kp; p++) {
            dst[(size_t)p * NR * 2] = sl_float_to_bf16(row[(long)(2 * p) * column_stride]);
            if (2 * p + 1 < k) dst[(size_t)p * NR * 2 + 1] = sl_float_to_bf16(row[(long)(2 * p + 1) * column_stride]);
        }
    }
}

void sl_bf16_pack_weights(const float *w, int n, int k, uint16_t *packed) { sl_bf16_pack_strided(w, n, k, k, 1, packed); }

// MARK: Configuration

static _Atomic int g_kc_pairs = 0;  // 0: default
#define DEFAULT_KC_PAIRS 384  // k = 768: one pass for the 768-wide layers

void sl_bf16_set_k_block(int kc) { atomic_store(&g_kc_pairs, kc <= 0 ? 0 : (kc + 1) / 2); }

// MARK: Packing A

/// Row panels: `panels` panels, the first `extra` of `base + 1` rows, the rest of `base`.
typedef struct {
    int count, base, extra;
} row_split;

static inline row_split split_rows(int m) {
    row_split s;
    s.count = (m + MR_MAX - 1) / MR_MAX;
    s.base = m / s.count;
    s.extra = m % s.count;
    return s;
}

static inline int panel_rows(row_split s, int i) { return s.base + (i < s.extra ? 1 : 0); }
static inline int panel_start(row_split s, int i) { return i * s.base + (i < s.extra ? i : s.extra); }

/// Converts rows of a to bf16 pairs, [panel][pair][row] (panel i at panel_start(i) * kp pairs).
AVX512BF16 static void pack_a(int m, int k, const float *a, int lda, uint32_t *dst) {
    const int kp = pairs_of(k);
    const row_split s = split_rows(m);
    uint32_t row_pairs[16];
    for (int i = 0; i < s.count; i++) {
        const int mr = panel_rows(s, i), r0 = panel_start(s, i);
        uint32_t *panel = dst + (size_t)r0 * kp;
        for (int r = 0; r < mr; r++) {
            const float *row = a + (size_t)(r0 + r) * lda;
            for (int k0 = 0; k0 < k; k0 += 32) {
                const int left = k - k0;
                __m512 lo, hi;
                if (left >= 32) {
                    lo = _mm512_loadu_ps(row + k0);
                    hi = _mm512_loadu_ps(row + k0 + 16);
                } else {
                    const __mmask16 mlo = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                    const __mmask16 mhi = left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
                    lo = _mm512_maskz_loadu_ps(mlo, row + k0);
                    hi = _mm512_maskz_loadu_ps(mhi, row + k0 + 16);
                }
                const __m512i pairs = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
                uint32_t *out = panel + (size_t)(k0 / 2) * mr + r;
                const int count = left >= 32 ? 16 : (left + 1) / 2;
                if (count == 16 && mr == MR_MAX) {
                    const __m512i index = _mm512_mullo_epi32(
                        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(MR_MAX));
                    _mm512_i32scatter_epi32(out, index, pairs, 4);
                } else {
                    _mm512_storeu_si512(row_pairs, pairs);
                    for (int q = 0; q < count; q++) out[(size_t)q * mr] = row_pairs[q];
                }
            }
        }
    }
}

// MARK: Micro-kernel

/// c[mr, ncols] (+)= a panel (kpc pairs) x b micro-panel (kpc steps of 32 pairs).
/// Each step also prefetches pf + step * pf_stride into L2: the caller points it at
/// the B micro-panel this thread multiplies next, so weights that come from memory
/// (a forward pass reads each once) arrive while this one computes.
AVX512BF16 static inline __attribute__((always_inline)) void micro_kernel(
    const int mr, int kpc, const uint32_t *ap, const uint16_t *bp, float *c, int ldc, float beta, int ncols,
    const char *pf, int pf_stride) {
    __m512 acc0[MR_MAX], acc1[MR_MAX];
    _Pragma("GCC unroll 12") for (int r = 0; r < mr; r++) {
        acc0[r] = _mm512_setzero_ps();
        acc1[r] = _mm512_setzero_ps();
    }
    for (int p = 0; p < kpc; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(bp);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(bp + 32);
        bp += 64;
        _mm_prefetch(pf + (size_t)p * pf_stride, _MM_HINT_T1);
        _Pragma("GCC unroll 12") for (int r = 0; r < mr; r++) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32((int)ap[r]);
            acc0[r] = _mm512_dpbf16_ps(acc0[r], av, b0);
            acc1[r] = _mm512_dpbf16_ps(acc1[r], av, b1);
        }
        ap += mr;
    }
    if (ncols == NR) {
        _Pragma("GCC unroll 12") for (int r = 0; r < mr; r++) {
            float *row = c + (size_t)r * ldc;
            __m512 v0 = acc0[r], v1 = acc1[r];
            if (beta == 1.0f) {
                v0 = _mm512_add_ps(v0, _mm512_loadu_ps(row));
                v1 = _mm512_add_ps(v1, _mm512_loadu_ps(row + 16));
            } else if (beta != 0.0f) {
                const __m512 bv = _mm512_set1_ps(beta);
                v0 = _mm512_fmadd_ps(bv, _mm512_loadu_ps(row), v0);
                v1 = _mm512_fmadd_ps(bv, _mm512_loadu_ps(row + 16), v1);
            }
            _mm512_storeu_ps(row, v0);
            _mm512_storeu_ps(row + 16, v1);
        }
    } else {
        const __mmask16 m0 = ncols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << ncols) - 1);
        const __mmask16 m1 = ncols > 16 ? (__mmask16)((1u << (ncols - 16)) - 1) : 0;
        _Pragma("GCC unroll 12") for (int r = 0; r < mr; r++) {
            float *row = c + (size_t)r * ldc;
            __m512 v0 = acc0[r], v1 = acc1[r];
            if (beta == 1.0f) {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
            } else if (beta != 0.0f) {
                const __m512 bv = _mm512_set1_ps(beta);
                v0 = _mm512_fmadd_ps(bv, _mm512_maskz_loadu_ps(m0, row), v0);
                v1 = _mm512_fmadd_ps(bv, _mm512_maskz_loadu_ps(m1, row + 16), v1);
            }
            _mm512_mask_storeu_ps(row, m0, v0);
            _mm512_mask_storeu_ps(row + 16, m1, v1);
        }
    }
}

typedef void (*kernel_fn)(int, const uint32_t *, const uint16_t *, float *, int, float, int, const char *, int);

#define KERNEL(MR)                                                                                      \
    AVX512BF16 __attribute__((noinline)) static void kernel_##MR(                                       \
        int kpc, const uint32_t *ap, const uint16_t *bp, float *c, int ldc, float beta, int ncols,      \
        const char *pf, int pf_stride) {                                                                \
        micro_kernel(MR, kpc, ap, bp, c, ldc, beta, ncols, pf, pf_stride);                              \
    }
KERNEL(1) KERNEL(2) KERNEL(3) KERNEL(4) KERNEL(5) KERNEL(6)
KERNEL(7) KERNEL(8) KERNEL(9) KERNEL(10) KERNEL(11) KERNEL(12)

static const kernel_fn kernels[MR_MAX + 1] = {
    0, kernel_1, kernel_2, kernel_3, kernel_4, kernel_5, kernel_6,
    kernel_7, kernel_8, kernel_9, kernel_10, kernel_11, kernel_12,
};

// MARK: Blocked loops

typedef struct {
    int m, n, k, ldc;
    const uint32_t *a;  // packed
    const uint16_t *b;  // packed
    float *c;
    float beta;
    int kc;             // pairs per k block
    _Atomic int next_panel;  // the next column panel to take
} gemm_job;

/// Column panel p of the product: k blocks of job->kc pairs (the B micro-panel
/// stays in L1/L2), all row panels for each. While it runs, panel `next`'s B (the
/// same k block; -1: none) is prefetched, spread evenly over the row panels.
static void run_panel(const gemm_job *job, int p, int next) {
    const int kp = pairs_of(job->k);
    const row_split s = split_rows(job->m);
    const int ncols = job->n - p * NR < NR ? job->n - p * NR : NR;
    float *cp = job->c + (size_t)p * NR;
    // Bytes of next B per step of one row panel: a k block is kpc * 128 bytes, shared by s.count panels.
    const int pf_stride = next >= 0 ? (NR * 4 + s.count - 1) / s.count : 0;
    for (int k0 = 0; k0 < kp; k0 += job->kc) {
        const int kpc = kp - k0 < job->kc ? kp - k0 : job->kc;
        const float beta = k0 == 0 ? job->beta : 1.0f;
        const uint16_t *bp = job->b + ((size_t)p * kp + k0) * NR * 2;
        const char *pf = (const char *)(next >= 0 ? job->b + ((size_t)next * kp + k0) * NR * 2 : bp);
        for (int i = 0; i < s.count; i++) {
            const int mr = panel_rows(s, i), r0 = panel_start(s, i);
            const uint32_t *ap = job->a + (size_t)r0 * kp + (size_t)k0 * mr;
            kernels[mr](kpc, ap, bp, cp + (size_t)r0 * job->ldc, job->ldc, beta, ncols,
                        pf + (size_t)i * kpc * pf_stride, pf_stride);
        }
    }
}

/// Threads take column panels one at a time from a shared counter, so a
/// thread that the OS preempts (2 vCPUs, other processes) delays nobody.
static void run_share(gemm_job *job, int t) {
    (void)t;
    if (job->m <= 0) return;  // the no-op job
    const int panels = panels_of(job->n);
    int p = atomic_fetch_add_explicit(&job->next_panel, 1, memory_order_relaxed);
    while (p < panels) {
        // Claimed a panel ahead, so its weights can be prefetched during this one.
        const int next = atomic_fetch_add_explicit(&job->next_panel, 1, memory_order_relaxed);
        run_panel(job, p, next < panels ? next : -1);
        p = next;
    }
}

static void run_share_task(void *job) { run_share((gemm_job *)job, 0); }

/// Wakes the pool with an empty job: what dispatch costs, for bf16-bench.
void sl_bf16_pool_noop(void) {
    gemm_job job;
    memset(&job, 0, sizeof job);
    sl_pool_run(sl_pool_get_threads(), run_share_task, &job);
}

// MARK: Entry point

static _Thread_local uint32_t *tls_a = 0;
static _Thread_local size_t tls_a_capacity = 0;

void sl_bf16_gemm_nt(int m, int n, int k, const float *a, int lda, const uint16_t *packed_b, float *c, int ldc,
                     float beta) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {  // c = beta * c
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
        return;
    }
    const size_t need = (size_t)m * pairs_of(k);
    if (need > tls_a_capacity) {
        free(tls_a);
        tls_a = (uint32_t *)aligned_alloc(64, (need * 4 + 63) / 64 * 64);
        tls_a_capacity = need;
    }
    pack_a(m, k, a, lda, tls_a);

    gemm_job job;
    job.m = m;
    job.n = n;
    job.k = k;
    job.ldc = ldc;
    job.a = tls_a;
    job.b = packed_b;
    job.c = c;
    job.beta = beta;
    const int kc = atomic_load(&g_kc_pairs);
    job.kc = kc > 0 ? kc : DEFAULT_KC_PAIRS;
    int threads = sl_pool_get_threads();
    const int panels = panels_of(n);
    if (threads > panels) threads = panels;
    // Below ~2 MFLOP a second thread costs more than it saves.
    if ((double)m * n * k < 1.0e6) threads = 1;
    atomic_init(&job.next_panel, 0);
    if (!sl_pool_run(threads, run_share_task, &job)) run_share(&job, 0);
}
