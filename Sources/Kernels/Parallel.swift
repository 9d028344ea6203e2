import CKernels

/// Fork-join loops on the persistent worker pool that the bf16 GEMM uses, so the
/// element-wise passes between matrix products (activations, layer norms) run on
/// every configured core instead of leaving the others idle while one works.
public enum Parallel {
    /// Threads of Sightline's own kernels (the caller plus pool workers): the bf16 GEMM
    /// and `forEach`. 1 until set; the CLI and launch files set it from their thread
    /// count. On the 2-vCPU development machine one thread of the bf16 GEMM peaks near
    /// 220 GFLOP/s and two reach about 430 on large products (`bf16-bench`).
    public static var threads: Int {
        get { Int(sl_pool_get_threads()) }
        set { sl_pool_set_threads(Int32(max(1, newValue))) }
    }

    /// Calls `body(i)` once for every `i` in `0..<count`, concurrently on up to `threads`
    /// threads, and returns when all calls have finished. The calls must touch disjoint
    /// memory. Use a few chunks per thread of at least tens of microseconds each: a
    /// dispatch costs about a microsecond.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, threads > 1 else {
            for i in 0..<max(0, count) { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { context in
                sl_parallel_for(Int32(count), { context, index in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                }, context)
            }
        }
    }

    /// `0..<count` split into about two ranges per thread, each at least `minimum` long
    /// (fewer when `count` is small), in order.
    public static func chunks(_ count: Int, minimum: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let chunks = max(1, min(2 * threads, count / max(1, minimum)))
        let size = (count + chunks - 1) / chunks
        return stride(from: 0, to: count, by: size).map { $0..<min(count, $0 + size) }
    }

    /// Runs `body` on each of `chunks(count, minimum:)` through `forEach`.
    public static func forEachRange(_ count: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        let ranges = chunks(count, minimum: minimum)
        forEach(ranges.count) { body(ranges[$0]) }
    }
}
