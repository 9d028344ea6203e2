import Glibc

/// Wall-clock and monotonic time in nanoseconds, as the protocol stamps them.
public enum Clocks {
    public static func realtimeNs() -> UInt64 { read(CLOCK_REALTIME) }
    public static func monotonicNs() -> UInt64 { read(CLOCK_MONOTONIC) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        // clock_gettime cannot fail for these two clocks on Linux; 0 if it ever did.
        guard clock_gettime(clock, &time) == 0 else { return 0 }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
