public import Histogram

/// Latency and deadline accounting for one stage. Latencies are recorded in
/// microseconds in an HdrHistogram (3 significant digits, up to one hour).
public struct StageStatistics: Sendable {
    /// From the job's origin (capture time for frame work) to its completion.
    public private(set) var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000)
    public private(set) var completed: UInt64 = 0
    /// Finished after the deadline, or dropped because it could not start in time.
    public private(set) var deadlineMisses: UInt64 = 0
    /// Dropped unstarted because the deadline had already passed (also counted as misses).
    public private(set) var expired: UInt64 = 0
    /// Replaced in its mailbox by a newer job before it started.
    public private(set) var replaced: UInt64 = 0
    /// Busy time on the executor, nanoseconds.
    public private(set) var busyNs: UInt64 = 0

    public init() {}

    mutating func recordCompletion(latencyNs: UInt64, missed: Bool) {
        completed += 1
        if missed { deadlineMisses += 1 }
        _ = latency.record(min(latencyNs / 1000, 3_600_000_000))
    }

    mutating func recordExpired() {
        expired += 1
        deadlineMisses += 1
    }

    mutating func recordReplaced() { replaced += 1 }
    mutating func recordBusy(_ ns: UInt64) { busyNs += ns }

    /// The figures published in `status` and on the metrics endpoint.
    public func summary(pending: Int) -> StageSummary {
        func ms(_ percentile: Double) -> Double {
            completed == 0 ? 0 : Double(latency.valueAtPercentile(percentile)) / 1000
        }
        return StageSummary(
            completed: completed, deadlineMisses: deadlineMisses, expired: expired, replaced: replaced,
            pending: pending, p50Ms: ms(50), p90Ms: ms(90), p99Ms: ms(99),
            maxMs: completed == 0 ? 0 : Double(latency.max) / 1000
        )
    }
}

/// A point-in-time view of one stage, as published.
public struct StageSummary: Sendable, Codable, Equatable {
    public var completed: UInt64
    public var deadlineMisses: UInt64
    public var expired: UInt64
    public var replaced: UInt64
    public var pending: Int
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var maxMs: Double

    enum CodingKeys: String, CodingKey {
        case completed, expired, replaced, pending
        case deadlineMisses = "deadline_misses"
        case p50Ms = "p50_ms", p90Ms = "p90_ms", p99Ms = "p99_ms", maxMs = "max_ms"
    }
}
