import Foundation

/// Runs blocking work (camera dequeue, file replay, zmq poll loops, long BLAS
/// calls) on a thread of its own and awaits its result, so that it never
/// occupies one of the cooperative pool's threads (there are only two on this
/// hardware).
public func onDedicatedThread<T: Sendable>(
    _ name: String, _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
