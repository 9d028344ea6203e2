import Synchronization

/// A clock that moves only when something sleeps on it or the owner advances it, so
/// anything built on `CaptureClock` (back-off, replay pacing, deadlines, load shedding)
/// can be tested exactly and instantly, whatever else the machine is doing; the way
/// swift-nio's embedded event loop makes time a test's input.
public final class ManualClock: CaptureClock {
    /// The realtime clock runs this far ahead of the monotonic one (a date in 2026).
    public static let realtimeOffset: UInt64 = 1_790_000_000_000_000_000

    private let state: Mutex<(now: UInt64, sleeps: [UInt64])>

    /// Starts at `monotonicNs` (one second by default, so "earlier" never underflows).
    public init(monotonicNs: UInt64 = 1_000_000_000) {
        state = Mutex((monotonicNs, []))
    }

    public func monotonicNs() -> UInt64 { state.withLock { $0.now } }
    public func realtimeNs() -> UInt64 { monotonicNs() &+ Self.realtimeOffset }

    /// Returns at once, the clock moved on by `nanoseconds` (recorded in `sleeps`).
    public func sleep(nanoseconds: UInt64) {
        state.withLock {
            $0.now &+= nanoseconds
            $0.sleeps.append(nanoseconds)
        }
    }

    public func advance(_ nanoseconds: UInt64) { state.withLock { $0.now &+= nanoseconds } }
    public func advance(ms: Double) { advance(UInt64(max(0, ms) * 1e6)) }

    /// Every sleep so far, in order.
    public var sleeps: [UInt64] { state.withLock { $0.sleeps } }
}
