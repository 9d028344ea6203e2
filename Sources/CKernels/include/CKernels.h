// The bfloat16 GEMM on AVX512_BF16 (vdpbf16ps) behind CLIP's `--precision bf16`
// (Linear layers and attention), and the worker pool Sightline's own kernels
// share. Everything else in the binary stays portable: the AVX-512
// code is compiled per function (target attributes) and only reached when
// sl_cpu_has_avx512_bf16() says the CPU and the OS support it.
#ifndef SIGHTLINE_CKERNELS_H
#define SIGHTLINE_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "CPUFeatures.h"  // the CPU-feature probe the kernels dispatch on
#include "QuantDot.h"  // quantized (GGUF) dot products

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU has AVX512F/BW/VL/BF16 and the OS saves the zmm/opmask state.
int sl_cpu_has_avx512_bf16(void);

/// Number of uint16 elements the packed form of an [n, k] weight takes.
size_t sl_bf16_packed_size(int n, int k);

/// Converts a PyTorch Linear weight w[n, k] (row-major float32) to bfloat16,
/// rounding to nearest even, in the kernel's blocked layout: panels of 32
/// output columns, each panel k/2 steps of 32 (w[j, 2p], w[j, 2p+1]) pairs;
/// n and k are padded with zeros. Portable code (no AVX-512 needed).
void sl_bf16_pack_weights(const float *w, int n, int k, uint16_t *packed);

/// The same packing for a matrix read with strides: element (j, i) of the [n, k]
/// weight is w[j * row_stride + i * column_stride]. Attention packs its keys
/// (row_stride = the QKV row width) and its values transposed (column_stride = it).
void sl_bf16_pack_strided(const float *w, int n, int k, long row_stride, long column_stride, uint16_t *packed);

/// c[m, n] = a[m, k] * wᵀ + beta * c, with w packed by sl_bf16_pack_weights.
/// a is rounded to bfloat16 on the fly; products are accumulated in float32.
/// Requires sl_cpu_has_avx512_bf16(). beta == 0 never reads c.
/// Thread-safe; concurrent calls share the worker pool one at a time
/// (a caller that finds it busy runs single-threaded).
void sl_bf16_gemm_nt(int m, int n, int k, const float *a, int lda,
                     const uint16_t *packed_b, float *c, int ldc, float beta);

/// Threads (the caller plus persistent workers) of Sightline's own kernels:
/// the bf16 GEMM and sl_parallel_for. 1...8; 1 until set.
void sl_pool_set_threads(int threads);
int sl_pool_get_threads(void);

/// One index of a parallel loop; calls for different indices run concurrently.
typedef void (*sl_index_task)(void *context, int index);

/// Runs body(context, i) for every i in 0 ..< count on the calling thread and
/// the pool's workers (sl_pool_get_threads() in all), each index exactly once,
/// and returns when all have finished. When the pool is busy (another thread's
/// kernel), the caller runs every index itself.
void sl_parallel_for(int count, sl_index_task body, void *context);

/// Rows of a packed in the k direction per cache block (in bf16 elements,
/// rounded to even); 0 restores the default. For tuning experiments.
void sl_bf16_set_k_block(int kc);

/// Dispatches an empty job to the worker pool and waits for it: the fork-join
/// overhead of one multi-threaded call.
void sl_bf16_pool_noop(void);

/// Round-to-nearest-even float32 -> bfloat16 (and back), for tests.
uint16_t sl_float_to_bf16(float x);
float sl_bf16_to_float(uint16_t x);

#ifdef __cplusplus
}
#endif

#endif
