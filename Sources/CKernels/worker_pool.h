// One pool of persistent worker threads shared by every C kernel (the bf16
// GEMM and the quantized products), so that two kernels never keep two sets
// of threads spinning against each other on a small robot host.
#ifndef SIGHTLINE_WORKER_POOL_H
#define SIGHTLINE_WORKER_POOL_H

/// Work that every participating thread runs once; it takes its share from
/// counters inside `context` (so a thread the OS preempts delays nobody).
typedef void (*sl_pool_task)(void *context);

/// Runs `task(context)` on the calling thread and on up to `threads - 1` pool
/// workers that join while the job is open. Returns 1 once the caller's run
/// has returned and every worker that joined has finished. Returns 0 without
/// running anything when another caller is using the pool: the caller then
/// does the work alone.
int sl_pool_run(int threads, sl_pool_task task, void *context);

#define SL_POOL_MAX_THREADS 8

// sl_pool_set_threads, sl_pool_get_threads and sl_parallel_for are public: CKernels.h.

#endif
