import Glibc

/// The clocks and sleeps a source uses, behind a seam so that reconnect
/// back-off and replay timing can be tested without waiting in real time.
public protocol CaptureClock: Sendable {
    func monotonicNs() -> UInt64
    func realtimeNs() -> UInt64
    /// Sleeps for up to `nanoseconds`; may return early.
    func sleep(nanoseconds: UInt64)
}

extension CaptureClock {
    public func now() -> CaptureTime {
        CaptureTime(monotonicNs: monotonicNs(), realtimeNs: realtimeNs())
    }
}

/// CLOCK_MONOTONIC and CLOCK_REALTIME, the clocks V4L2 timestamps use.
public struct SystemClock: CaptureClock {
    public init() {}

    public func monotonicNs() -> UInt64 { Self.read(CLOCK_MONOTONIC) }
    public func realtimeNs() -> UInt64 { Self.read(CLOCK_REALTIME) }

    public func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
