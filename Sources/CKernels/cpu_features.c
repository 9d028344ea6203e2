// The CPU-feature probe (CPUFeatures.h): cpuid and xgetbv are read here and
// nowhere else. Bit positions are from the Intel SDM (vol. 2A, CPUID) and AMD's
// APM (vol. 3, appendix E).

#include "CPUFeatures.h"

#include <cpuid.h>
#include <pthread.h>
#include <string.h>

#define BIT(value, n) (((value) >> (n)) & 1u)

enum { EAX = 0, EBX = 1, ECX = 2, EDX = 3 };

// XCR0 state components.
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_OPMASK (1ull << 5)
#define XCR0_ZMM_HI256 (1ull << 6)
#define XCR0_HI16_ZMM (1ull << 7)
#define XCR0_TILECFG (1ull << 17)
#define XCR0_TILEDATA (1ull << 18)

void sl_cpu_features_parse(const sl_cpuid_leaves *l, sl_cpu_features *out) {
    memset(out, 0, sizeof *out);
    // Vendor string: EBX, EDX, ECX of leaf 0, in that order.
    memcpy(out->vendor + 0, &l->leaf0[EBX], 4);
    memcpy(out->vendor + 4, &l->leaf0[EDX], 4);
    memcpy(out->vendor + 8, &l->leaf0[ECX], 4);
    out->vendor[12] = 0;

    const uint32_t max_leaf = l->leaf0[EAX];
    if (max_leaf < 1) return;
    const uint32_t signature = l->leaf1[EAX];
    const int base_family = (int)((signature >> 8) & 0xF);
    const int base_model = (int)((signature >> 4) & 0xF);
    out->stepping = (int)(signature & 0xF);
    out->family = base_family == 0xF ? base_family + (int)((signature >> 20) & 0xFF) : base_family;
    out->model = (base_family == 0x6 || base_family == 0xF) ? base_model + (int)(((signature >> 16) & 0xF) << 4)
                                                            : base_model;

    const uint32_t c1 = l->leaf1[ECX];
    // Without OSXSAVE, xgetbv faults and the OS saves no AVX state: treat XCR0 as 0.
    const uint64_t xcr0 = BIT(c1, 27) ? l->xcr0 : 0;
    const int avx_state = (xcr0 & (XCR0_SSE | XCR0_AVX)) == (XCR0_SSE | XCR0_AVX);
    const uint64_t zmm_bits = XCR0_SSE | XCR0_AVX | XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM;
    const int avx512_state = (xcr0 & zmm_bits) == zmm_bits;
    const int tile_state = (xcr0 & (XCR0_TILECFG | XCR0_TILEDATA)) == (XCR0_TILECFG | XCR0_TILEDATA);

    uint32_t f = 0;
    // SSE state is always saved on x86-64 (FXSAVE), whatever XCR0 says.
    if (BIT(c1, 0)) f |= SL_CPU_SSE3;
    if (BIT(c1, 9)) f |= SL_CPU_SSSE3;
    if (BIT(c1, 19)) f |= SL_CPU_SSE4_1;
    if (BIT(c1, 20)) f |= SL_CPU_SSE4_2;
    if (avx_state && BIT(c1, 28)) {
        f |= SL_CPU_AVX;
        if (BIT(c1, 29)) f |= SL_CPU_F16C;
        if (BIT(c1, 12)) f |= SL_CPU_FMA;
    }

    if (max_leaf >= 7) {
        const uint32_t b7 = l->leaf7_0[EBX], c7 = l->leaf7_0[ECX], d7 = l->leaf7_0[EDX];
        // Subleaf 1 exists when subleaf 0's EAX (the highest subleaf) is at least 1.
        const uint32_t a71 = l->leaf7_0[EAX] >= 1 ? l->leaf7_1[EAX] : 0;
        if (f & SL_CPU_AVX) {
            if (BIT(b7, 5)) f |= SL_CPU_AVX2;
            if (BIT(a71, 4)) f |= SL_CPU_AVX_VNNI;
        }
        if ((f & SL_CPU_AVX) && avx512_state && BIT(b7, 16)) {
            f |= SL_CPU_AVX512F;
            if (BIT(b7, 28)) f |= SL_CPU_AVX512CD;
            if (BIT(b7, 30)) f |= SL_CPU_AVX512BW;
            if (BIT(b7, 17)) f |= SL_CPU_AVX512DQ;
            if (BIT(b7, 31)) f |= SL_CPU_AVX512VL;
            if (BIT(c7, 11)) f |= SL_CPU_AVX512_VNNI;
            if (BIT(a71, 5)) f |= SL_CPU_AVX512_BF16;
            if (BIT(d7, 23)) f |= SL_CPU_AVX512_FP16;
        }
        // AMX also needs the kernel's permission per process (arch_prctl
        // ARCH_REQ_XCOMP_PERM) before the first tile instruction.
        if (tile_state && BIT(d7, 24)) {
            f |= SL_CPU_AMX_TILE;
            if (BIT(d7, 25)) f |= SL_CPU_AMX_INT8;
            if (BIT(d7, 22)) f |= SL_CPU_AMX_BF16;
        }
    }

    if (l->ext0[EAX] >= 0x80000001u) {
        const uint32_t ce = l->ext1[ECX], de = l->ext1[EDX];
        if (BIT(ce, 6)) f |= SL_CPU_SSE4A;
        if (BIT(de, 31)) f |= SL_CPU_3DNOW;
        if (f & SL_CPU_AVX) {
            if (BIT(ce, 16)) f |= SL_CPU_FMA4;
            if (BIT(ce, 11)) f |= SL_CPU_XOP;
        }
    }
    out->flags = f;
}

void sl_cpu_read_leaves(sl_cpuid_leaves *out) {
    memset(out, 0, sizeof *out);
    unsigned *r;
    r = out->leaf0;
    if (!__get_cpuid(0, &r[EAX], &r[EBX], &r[ECX], &r[EDX])) return;
    const unsigned max_leaf = out->leaf0[EAX];
    if (max_leaf >= 1) {
        r = out->leaf1;
        __cpuid(1, r[EAX], r[EBX], r[ECX], r[EDX]);
    }
    if (max_leaf >= 7) {
        r = out->leaf7_0;
        __cpuid_count(7, 0, r[EAX], r[EBX], r[ECX], r[EDX]);
        if (out->leaf7_0[EAX] >= 1) {
            r = out->leaf7_1;
            __cpuid_count(7, 1, r[EAX], r[EBX], r[ECX], r[EDX]);
        }
    }
    r = out->ext0;
    __cpuid(0x80000000u, r[EAX], r[EBX], r[ECX], r[EDX]);
    if (out->ext0[EAX] >= 0x80000001u && out->ext0[EAX] <= 0x8000FFFFu) {
        r = out->ext1;
        __cpuid(0x80000001u, r[EAX], r[EBX], r[ECX], r[EDX]);
    } else {
        memset(out->ext0, 0, sizeof out->ext0);
    }
    if (BIT(out->leaf1[ECX], 27)) {  // OSXSAVE: xgetbv is allowed
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        out->xcr0 = ((uint64_t)hi << 32) | lo;
    }
}

static sl_cpu_features g_features;
static const sl_cpu_features g_no_features;  // all zero: portable code only
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void probe_once(void) {
    sl_cpuid_leaves leaves;
    sl_cpu_read_leaves(&leaves);
    sl_cpu_features_parse(&leaves, &g_features);
}

const sl_cpu_features *sl_cpu_features_current(void) {
    // pthread_once does not fail with a valid once-control; if it ever did,
    // "no features" (portable code only) is still safe to run.
    if (pthread_once(&g_once, probe_once) != 0) return &g_no_features;
    return &g_features;
}

int sl_cpu_has(uint32_t flags) {
    return (sl_cpu_features_current()->flags & flags) == flags;
}

/// The per-core L2 size in bytes (cpuid leaf 4 on Intel, 0x80000006 on AMD), 1 MB if unknown.
size_t sl_cpu_l2_bytes(void) {
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000006, &a, &b, &c, &d) && (c >> 16) != 0) return (size_t)(c >> 16) * 1024;
    for (unsigned i = 0; i < 8 && __get_cpuid_count(4, i, &a, &b, &c, &d); i++) {
        if ((a & 0x1F) == 0) break;
        if (((a >> 5) & 7) == 2 && (a & 0x1F) != 2) {
            const size_t ways = (b >> 22) + 1, parts = ((b >> 12) & 0x3FF) + 1, line = (b & 0xFFF) + 1;
            return ways * parts * line * ((size_t)c + 1);
        }
    }
    return 1 << 20;
}
