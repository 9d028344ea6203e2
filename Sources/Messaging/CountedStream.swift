import Synchronization

/// An AsyncStream that knows how many elements wait in it: the count goes up
/// when the producer enqueues and down when the consumer takes one, so the
/// status heartbeat can report the real queue depth.
public struct CountedStream<Element: Sendable>: AsyncSequence, Sendable {
    final class Depth: Sendable {
        let value = Atomic<Int>(0)
    }

    let base: AsyncStream<Element>
    let depth: Depth

    /// Elements enqueued and not yet taken.
    public var count: Int { depth.value.load(ordering: .relaxed) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<Element>.AsyncIterator
        let depth: Depth

        public mutating func next() async -> Element? {
            let element = await base.next()
            if element != nil { depth.value.subtract(1, ordering: .relaxed) }
            return element
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), depth: depth)
    }
}
