// Quantized matrix products on the dot kernels of quant_dot.c: rows are
// split into chunks that the calling thread and persistent workers take from
// a shared counter (a preempted thread delays nobody). Workers spin briefly
// after a job (the next matvec of a token follows within microseconds), then
// sleep on a condition variable, as the bf16 GEMM's pool does.

#include "QuantDot.h"
#include "worker_pool.h"

#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_THREADS 8

typedef float (*dot_fn)(int, const void *, const void *);
dot_fn sl_q_dot_function(int type, int level);
typedef void (*tile_fn)(int k, const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t x_stride, float *y, size_t ldy);
tile_fn sl_q_tile_function(int type, int level);
enum { TILE_COLUMNS = 4 };

static _Atomic int g_threads = 1;

void sl_q_set_threads(int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    atomic_store(&g_threads, threads);
}

int sl_q_get_threads(void) { return atomic_load(&g_threads); }

typedef struct {
    dot_fn dot;
    tile_fn tile;  // rows x TILE_COLUMNS with the dot's exact per-output results, or NULL
    const uint8_t *w;
    size_t row_bytes;
    int rows, k;
    const uint8_t *x;
    size_t x_stride;
    int count;
    float *y;
    size_t ldy;
    int chunk;               // rows per share
    _Atomic int next_chunk;  // the next chunk to take
} q_job;

static void run_rows(const q_job *job, int r0, int r1) {
    const dot_fn dot = job->dot;
    const int k = job->k;
    if (job->count == 1) {
        for (int r = r0; r < r1; r++) job->y[r] = dot(k, job->w + (size_t)r * job->row_bytes, job->x);
        return;
    }
    int c0 = 0;
    if (job->tile) {
        // Batched: each weight block unpacked once for TILE_COLUMNS columns.
        // Rows in blocks of about 128 KB, so that every column group rereads them from L2.
        int block = (int)(131072 / (job->row_bytes ? job->row_bytes : 1));
        if (block < 2) block = 2;
        const int groups = job->count / TILE_COLUMNS;
        for (int rb = r0; rb < r1; rb += block) {
            const int re = rb + block < r1 ? rb + block : r1;
            for (int g = 0; g < groups; g++) {
                const int c = g * TILE_COLUMNS;
                job->tile(k, job->w + (size_t)rb * job->row_bytes, job->row_bytes, re - rb, job->x + (size_t)c * job->x_stride,
                          job->x_stride, job->y + (size_t)c * job->ldy + rb, job->ldy);
            }
        }
        c0 = groups * TILE_COLUMNS;
        if (c0 == job->count) return;
    }
    // The remaining columns: each weight row (in L1 after its first column) against every column.
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = job->w + (size_t)r * job->row_bytes;
        for (int c = c0; c < job->count; c++)
            job->y[(size_t)c * job->ldy + r] = dot(k, row, job->x + (size_t)c * job->x_stride);
    }
}

static void run_share(q_job *job) {
    if (job->rows <= 0) return;
    const int chunks = (job->rows + job->chunk - 1) / job->chunk;
    for (;;) {
        const int i = atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed);
        if (i >= chunks) break;
        const int r0 = i * job->chunk, r1 = r0 + job->chunk < job->rows ? r0 + job->chunk : job->rows;
        run_rows(job, r0, r1);
    }
}

static void run_share_task(void *job) { run_share((q_job *)job); }

// MARK: Entry point

int sl_q_matmul(int type, int level, int threads, const void *w, size_t row_bytes, int rows, int k,
                const void *x, size_t x_stride, int count, float *y, size_t ldy) {
    const dot_fn dot = sl_q_supports(type) ? sl_q_dot_function(type, level) : 0;
    if (!dot) return 0;
    if (rows <= 0 || count <= 0) return 1;
    q_job job;
    job.dot = dot;
    job.tile = count >= TILE_COLUMNS ? sl_q_tile_function(type, level) : 0;
    job.w = (const uint8_t *)w;
    job.row_bytes = row_bytes;
    job.rows = rows;
    job.k = k;
    job.x = (const uint8_t *)x;
    job.x_stride = x_stride;
    job.count = count;
    job.y = y;
    job.ldy = ldy;
    if (threads <= 0) threads = sl_q_get_threads();
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    // Below ~128 KB of weight work a second thread costs more than it saves.
    if ((double)row_bytes * rows * count < 131072.0) threads = 1;
    // About 8 chunks per thread (of at least 4 rows) balance a preempted thread.
    int chunk = rows / (threads * 8);
    if (chunk < 4) chunk = 4;
    job.chunk = chunk;
    atomic_init(&job.next_chunk, 0);
    if (!sl_pool_run(threads, run_share_task, &job)) run_rows(&job, 0, rows);
    return 1;
}
