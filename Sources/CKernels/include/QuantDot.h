// Quantized (GGUF / ggml block format) dot products and matrix products,
// after llama.cpp's ggml-cpu quants: weights in their GGUF block layout,
// activations quantized to 8 bits (Q8_0 blocks of 32 with the Q8_1 sum for
// the legacy types, Q8_K blocks of 256 with sums of 16 for the k-quants).
//
// Kernels exist in portable C, AVX2+FMA+F16C and AVX-512 (F/BW/VL/VNNI)
// versions, chosen once at run time (cpuid + xgetbv); the rest of the binary
// stays baseline x86-64. Every version computes the same integer sums per
// block; only the float combination of the blocks differs (as in llama.cpp).
#ifndef SIGHTLINE_QUANT_DOT_H
#define SIGHTLINE_QUANT_DOT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel levels: 0 picks the best this CPU supports.
enum {
    SL_Q_LEVEL_BEST = 0,
    SL_Q_LEVEL_SCALAR = 1,
    SL_Q_LEVEL_AVX2 = 2,
    SL_Q_LEVEL_AVX512 = 3,
};

/// The best level this CPU and OS support (1 ... 3).
int sl_q_max_level(void);

/// 1 when `type` (a ggml type id: 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1, 8 Q8_0,
/// 12 Q4_K, 13 Q5_K, 14 Q6_K) has kernels.
int sl_q_supports(int type);

/// Bytes of one packed activation column of `k` values for weights of `type`.
/// Legacy types: k/32 blocks {float d; float s; int32 c[8]; int8 q[32]} (72 bytes;
/// c: -bias · sums of 4 values, for vpdpbusd on unsigned weights);
/// k-quants: k/256 blocks {float d; int8 q[256]; int16 bsums[16]} (292 bytes).
size_t sl_q8_packed_bytes(int type, int k);

/// Packs one activation column already quantized (values `q` in -128...127
/// as int16, block scales `d`, per-32 sums `s`, used by Q4_1/Q5_1 only and
/// may be NULL otherwise) into the layout above at `out`.
void sl_q8_pack(int type, int k, const int16_t *q, const float *d, const float *s, void *out);

/// Quantizes one float column (k values) straight into the packed layout above,
/// bit for bit as the Swift quantizer + sl_q8_pack. Returns 0 (nothing written)
/// below the AVX2 level or for an unsupported type.
int sl_q8_quantize(int type, int k, const float *x, void *out);

/// sl_q_matmul on float columns (column c at x + c * ldx), quantized in C into
/// per-thread scratch that is kept between calls. Returns 0 without doing
/// anything below the AVX2 level (use sl_q8_pack and sl_q_matmul then).
int sl_q_matmul_f32(int type, int level, int threads, const void *w, size_t row_bytes, int rows, int k,
                    const float *x, size_t ldx, int count, float *y, size_t ldy);

/// One weight row (k values, GGUF blocks at `w`) · one packed activation column.
float sl_q_vec_dot(int type, int level, int k, const void *w, const void *x);

/// y[c * ldy + r] = row r of w · column c of x, for r < rows and c < count.
/// Rows are `row_bytes` apart; packed columns `x_stride` bytes apart.
/// threads <= 0 uses sl_q_get_threads(). Returns 0 when the type is unsupported.
int sl_q_matmul(int type, int level, int threads, const void *w, size_t row_bytes, int rows, int k,
                const void *x, size_t x_stride, int count, float *y, size_t ldy);

/// Default threads (the caller plus persistent workers) of sl_q_matmul, 1...8.
void sl_q_set_threads(int threads);
int sl_q_get_threads(void);

// MARK: Int8 prefill GEMM (quant_gemm_vnni.c, AVX-512 VNNI)

/// Weight rows repacked for the prefill GEMM: panels of 16 rows, values as
/// unsigned bytes interleaved 4 at a time, scales as int32 / float per row.
typedef struct sl_qg_weights sl_qg_weights;

/// 1 when this CPU runs the GEMM for `type` (Q4_0, Q5_0, Q8_0, Q4_K, Q6_K).
int sl_qg_supports(int type);

/// Repacks `rows` rows of `k` values (GGUF blocks, `row_bytes` apart) on up to
/// `threads` threads (<= 0: sl_q_get_threads()). NULL when the type or CPU is
/// not supported, k is not a whole number of blocks, or memory is short.
/// The result does not refer to `w`; free it with sl_qg_free.
sl_qg_weights *sl_qg_pack(int type, const void *w, size_t row_bytes, int rows, int k, int threads);
void sl_qg_free(sl_qg_weights *weights);

/// The most bytes all repacked copies together may hold (default: an eighth of
/// physical memory); sl_qg_pack returns NULL for a matrix that does not fit, and
/// that matrix keeps the dot kernels. Lowering it frees nothing already packed.
void sl_qg_set_budget(size_t bytes);
size_t sl_qg_get_budget(void);
/// Bytes all live repacked copies hold.
size_t sl_qg_total_bytes(void);
/// Bytes the repacked weights hold.
size_t sl_qg_bytes(const sl_qg_weights *weights);

/// y[c * ldy + r] = row r · column c for every row and c < count, from packed
/// activation columns (sl_q8_quantize's layout, `x_stride` bytes apart).
/// The same integer block sums as sl_q_vec_dot; returns 0 on allocation failure.
int sl_qg_matmul(const sl_qg_weights *weights, int threads, const void *x, size_t x_stride, int count, float *y, size_t ldy);

/// The same on float columns (column c at x + c * ldx), quantized in C.
int sl_qg_matmul_f32(const sl_qg_weights *weights, int threads, const float *x, size_t ldx, int count, float *y, size_t ldy);

#ifdef __cplusplus
}
#endif

#endif
