#include "worker_pool.h"
#include "CKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/// How long an idle worker spins for the next job before sleeping: longer
/// than the gap between the matrix products of one token or one layer.
#define SPIN_NANOSECONDS 100000ll

/// Workers join a job only while it is open; the caller closes it when its
/// own share is done and then waits only for the workers that joined. On a
/// shared 2-vCPU machine a worker may not be scheduled for milliseconds, and
/// waiting for every worker (a plain fork-join) would cost more than the split saves.
#define JOB_CLOSED (-(1 << 24))

static pthread_mutex_t pool_busy = PTHREAD_MUTEX_INITIALIZER;   // held by the dispatching caller
static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;  // guards sleeping
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static _Atomic unsigned pool_generation = 0;
static int pool_workers = 0;  // started so far (guarded by pool_busy)
static unsigned worker_first_seen[SL_POOL_MAX_THREADS];
static _Atomic int pool_joined = JOB_CLOSED;
static _Atomic int pool_done = 0;
static int pool_limit = 0;  // workers that may run the open job
static sl_pool_task pool_task = 0;
static void *pool_context = 0;

static _Atomic int pool_threads = 1;

void sl_pool_set_threads(int threads) {
    if (threads < 1) threads = 1;
    if (threads > SL_POOL_MAX_THREADS) threads = SL_POOL_MAX_THREADS;
    atomic_store(&pool_threads, threads);
}

int sl_pool_get_threads(void) { return atomic_load(&pool_threads); }

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void *worker_main(void *arg) {
    unsigned seen = worker_first_seen[(intptr_t)arg];
    for (;;) {
        const long long start = now_ns();
        int spins = 0;
        while (atomic_load_explicit(&pool_generation, memory_order_acquire) == seen) {
            if (++spins % 256 == 0 && now_ns() - start > SPIN_NANOSECONDS) {
                pthread_mutex_lock(&pool_mutex);
                while (atomic_load(&pool_generation) == seen) pthread_cond_wait(&pool_wake, &pool_mutex);
                pthread_mutex_unlock(&pool_mutex);
                break;
            }
            CPU_RELAX();
        }
        seen = atomic_load(&pool_generation);
        const int slot = atomic_fetch_add(&pool_joined, 1);
        if (slot < 0) continue;  // closed: the caller has finished
        if (slot < pool_limit) pool_task(pool_context);
        atomic_fetch_add(&pool_done, 1);
    }
    return 0;
}

int sl_pool_run(int threads, sl_pool_task task, void *context) {
    if (threads > SL_POOL_MAX_THREADS) threads = SL_POOL_MAX_THREADS;
    if (threads < 2 || pthread_mutex_trylock(&pool_busy) != 0) return 0;
    while (pool_workers < threads - 1) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        worker_first_seen[pool_workers + 1] = atomic_load(&pool_generation);
        const int failed = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)(pool_workers + 1));
        pthread_attr_destroy(&attr);
        if (failed != 0) break;
        pool_workers++;
    }
    pool_limit = threads - 1 < pool_workers ? threads - 1 : pool_workers;
    pool_task = task;
    pool_context = context;
    atomic_store(&pool_done, 0);
    atomic_store(&pool_joined, 0);  // open (publishes the task and context above)
    pthread_mutex_lock(&pool_mutex);
    atomic_fetch_add(&pool_generation, 1);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_mutex);
    task(context);
    const int joined = atomic_exchange(&pool_joined, JOB_CLOSED);
    while (atomic_load_explicit(&pool_done, memory_order_acquire) < joined) CPU_RELAX();
    pthread_mutex_unlock(&pool_busy);
    return 1;
}

// MARK: Parallel loops

typedef struct {
    int count;
    sl_index_task body;
    void *context;
    _Atomic int next;
} index_job;

static void run_indices(void *context) {
    index_job *job = (index_job *)context;
    for (;;) {
        const int i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->count) break;
        job->body(job->context, i);
    }
}

void sl_parallel_for(int count, sl_index_task body, void *context) {
    if (count <= 0) return;
    index_job job;
    job.count = count;
    job.body = body;
    job.context = context;
    atomic_init(&job.next, 0);
    int threads = sl_pool_get_threads();
    if (threads > count) threads = count;
    if (!sl_pool_run(threads, run_indices, &job)) run_indices(&job);
}
