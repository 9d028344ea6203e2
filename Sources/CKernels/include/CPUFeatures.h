// The one CPU-feature probe of the binary: cpuid + xgetbv, read once. Every
// kernel dispatch (bf16 GEMM, quantized dot products) and the OpenBLAS core
// check ask it, so they all agree on what this CPU and OS can run.
//
// The probe and the parser are separate so that the parser can be tested on
// recorded register values of other CPUs (Tests/Fixtures/cpuid).
#ifndef SIGHTLINE_CPU_FEATURES_H
#define SIGHTLINE_CPU_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Raw register values, each leaf as {EAX, EBX, ECX, EDX}. Leaves the CPU does not
/// have are all zero; xcr0 is 0 when the OS has not enabled XSAVE (OSXSAVE clear).
typedef struct sl_cpuid_leaves {
    uint32_t leaf0[4];   ///< leaf 0: highest standard leaf, vendor (EBX, EDX, ECX)
    uint32_t leaf1[4];   ///< leaf 1: family/model/stepping, SSE3 ... AVX, F16C, FMA
    uint32_t leaf7_0[4]; ///< leaf 7 subleaf 0: AVX2, AVX-512, VNNI, AMX, FP16
    uint32_t leaf7_1[4]; ///< leaf 7 subleaf 1: AVX-VNNI, AVX512_BF16
    uint32_t ext0[4];    ///< leaf 0x80000000: highest extended leaf
    uint32_t ext1[4];    ///< leaf 0x80000001: SSE4A, FMA4, XOP, 3DNow!
    uint64_t xcr0;       ///< XCR0: which register states the OS saves
} sl_cpuid_leaves;

/// Feature bits. Each is set only when the CPU has the instructions AND the OS
/// saves the registers they use (XCR0), i.e. when they are safe to execute.
enum {
    SL_CPU_SSE3 = 1u << 0,
    SL_CPU_SSSE3 = 1u << 1,
    SL_CPU_SSE4_1 = 1u << 2,
    SL_CPU_SSE4_2 = 1u << 3,
    SL_CPU_SSE4A = 1u << 4,
    SL_CPU_3DNOW = 1u << 5,
    SL_CPU_AVX = 1u << 6,
    SL_CPU_F16C = 1u << 7,
    SL_CPU_FMA = 1u << 8,
    SL_CPU_FMA4 = 1u << 9,
    SL_CPU_XOP = 1u << 10,
    SL_CPU_AVX2 = 1u << 11,
    SL_CPU_AVX_VNNI = 1u << 12,
    SL_CPU_AVX512F = 1u << 13,
    SL_CPU_AVX512CD = 1u << 14,
    SL_CPU_AVX512BW = 1u << 15,
    SL_CPU_AVX512DQ = 1u << 16,
    SL_CPU_AVX512VL = 1u << 17,
    SL_CPU_AVX512_VNNI = 1u << 18,
    SL_CPU_AVX512_BF16 = 1u << 19,
    SL_CPU_AVX512_FP16 = 1u << 20,
    SL_CPU_AMX_TILE = 1u << 21,
    SL_CPU_AMX_INT8 = 1u << 22,
    SL_CPU_AMX_BF16 = 1u << 23,
};

typedef struct sl_cpu_features {
    char vendor[13];      ///< e.g. "GenuineIntel", "AuthenticAMD"; NUL-terminated
    int family;           ///< display family (base + extended when base is 15)
    int model;            ///< display model (with the extended model for families 6 and 15)
    int stepping;
    uint32_t flags;       ///< SL_CPU_* bits
} sl_cpu_features;

/// Decodes recorded register values. Pure: no cpuid is executed.
void sl_cpu_features_parse(const sl_cpuid_leaves *leaves, sl_cpu_features *out);

/// Reads this CPU's registers (leaves it does not have stay zero).
void sl_cpu_read_leaves(sl_cpuid_leaves *out);

/// This CPU's features, probed once per process (thread-safe).
const sl_cpu_features *sl_cpu_features_current(void);

/// 1 when every bit of `flags` is set for this CPU.
int sl_cpu_has(uint32_t flags);

/// The per-core L2 cache size in bytes (cpuid leaf 0x80000006 on AMD, leaf 4 on Intel),
/// 1 MiB when the CPU does not say: what the int8 prefill GEMM blocks its columns to.
size_t sl_cpu_l2_bytes(void);

#ifdef __cplusplus
}
#endif

#endif
