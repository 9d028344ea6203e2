// Quantized matrix products on the dot kernels of quant_dot.c: rows are
// split into chunks that the calling thread and persistent workers take from
// a shared counter (a preempted thread delays nobody). Workers spin briefly
// after a job (the next matvec of a token follows within microseconds), then
// sleep on a condition variable, as the bf16 GEMM's pool does.

#include "QuantDot.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <x86intrin.h>

#define MAX_THREADS 8

typedef float (*dot_fn)(int, const void *, const void *);
dot_fn sl_q_dot_function(int type, int level);

static _Atomic int g_threads = 1;

void sl_q_set_threads(int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    atomic_store(&g_threads, threads);
}

int sl_q_get_threads(void) { return atomic_load(&g_threads); }

typedef struct {
    dot_fn dot;
    const uint8_t *w;
    size_t row_bytes;
    int rows, k;
    const uint8_t *x;
    size_t x_stride;
    int count;
    float *y;
    size_t ldy;
    int chunk;               // rows per share
    int threads;
    _Atomic int next_chunk;  // the next chunk to take
} q_job;

static void run_rows(const q_job *job, int r0, int r1) {
    const dot_fn dot = job->dot;
    const int k = job->k;
    if (job->count == 1) {
        for (int r = r0; r < r1; r++) job->y[r] = dot(k, job->w + (size_t)r * job->row_bytes, job->x);
        return;
    }
    // Batched: each weight row (in L1 after its first column) against every column.
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = job->w + (size_t)r * job->row_bytes;
        for (int c = 0; c < job->count; c++)
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

// MARK: Worker pool

static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER;   // held by the dispatching caller
static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards sleeping
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static _Atomic unsigned pool_generation = 0;
static int pool_workers = 0;  // started so far (guarded by pool_busy)
static q_job *_Atomic pool_job = 0;
static unsigned worker_first_seen[MAX_THREADS];

/// Spin this many TSC ticks (about 100 µs at ~2.5 GHz) for the next job before sleeping:
/// longer than the gap between the matvecs of one token.
#define SPIN_TICKS 250000ull

/// Workers join a job only while it is open; the caller closes it when it has
/// run out of chunks and then waits only for the workers that joined. On a
/// shared 2-vCPU machine a worker may not get scheduled for milliseconds:
/// waiting for every worker (as a plain fork-join does) then costs far more
/// than the split saves.
#define JOB_CLOSED (-(1 << 24))
static _Atomic int pool_joined = JOB_CLOSED;
static _Atomic int pool_done = 0;

static void *worker_main(void *arg) {
    const int index = (int)(intptr_t)arg;  // 1 ... workers
    unsigned seen = worker_first_seen[index];
    for (;;) {
        const unsigned long long start = __rdtsc();
        while (atomic_load_explicit(&pool_generation, memory_order_acquire) == seen) {
            if (__rdtsc() - start > SPIN_TICKS) {
                pthread_mutex_lock(&pool_mutex);
                while (atomic_load(&pool_generation) == seen) pthread_cond_wait(&pool_wake, &pool_mutex);
                pthread_mutex_unlock(&pool_mutex);
                break;
            }
            _mm_pause();
        }
        seen = atomic_load(&pool_generation);
        if (atomic_fetch_add(&pool_joined, 1) < 0) continue;  // closed: the caller has finished
        q_job *job = atomic_load(&pool_job);                 // the open job (set before it opened)
        if (index < job->threads) run_share(job);
        atomic_fetch_add(&pool_done, 1);
    }
    return 0;
}

static void dispatch(q_job *job) {
    while (pool_workers < job->threads - 1) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        worker_first_seen[pool_workers + 1] = atomic_load(&pool_generation);
        if (pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)(pool_workers + 1)) != 0) {
            pthread_attr_destroy(&attr);
            break;
        }
        pthread_attr_destroy(&attr);
        pool_workers++;
    }
    if (job->threads > pool_workers + 1) job->threads = pool_workers + 1;
    atomic_store(&pool_job, job);
    atomic_store(&pool_done, 0);
    atomic_store(&pool_joined, 0);  // open
    pthread_mutex_lock(&pool_mutex);
    atomic_fetch_add(&pool_generation, 1);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_mutex);
    run_share(job);
    const int joined = atomic_exchange(&pool_joined, JOB_CLOSED);
    while (atomic_load_explicit(&pool_done, memory_order_acquire) < joined) _mm_pause();
}

// MARK: Entry point

int sl_q_matmul(int type, int level, int threads, const void *w, size_t row_bytes, int rows, int k,
                const void *x, size_t x_stride, int count, float *y, size_t ldy) {
    const dot_fn dot = sl_q_supports(type) ? sl_q_dot_function(type, level) : 0;
    if (!dot) return 0;
    if (rows <= 0 || count <= 0) return 1;
    q_job job;
    job.dot = dot;
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
    job.threads = threads;
    atomic_init(&job.next_chunk, 0);
    if (threads > 1 && pthread_mutex_trylock(&pool_busy) == 0) {
        dispatch(&job);
        pthread_mutex_unlock(&pool_busy);
    } else {
        job.threads = 1;
        run_rows(&job, 0, rows);
    }
    return 1;
}
