/// Which camera frames get a scene-scoring job.
///
/// Normally at most one per `intervalNs` of capture time. While the node sheds
/// scene scoring, one frame per `probeIntervalNs` is still scored as a probe:
/// its load report tells the shedder whether scene work would fit again (an
/// overloaded probe holds the level; see `LoadShedder.Work.shedAt`), and the
/// `scene` topic keeps a slow pulse instead of going silent.
public struct SceneCadence: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Score this frame.
        case score
        /// Score this frame as a probe while shedding.
        case probe
        /// Too soon after the last scored frame.
        case tooSoon
        /// Not scored because the node sheds scene scoring.
        case shed
    }

    public var intervalNs: UInt64
    public var probeIntervalNs: UInt64
    private var lastScoredNs: UInt64?

    /// - Parameters:
    ///   - intervalNs: least capture time between two scored frames (0: every frame).
    ///   - probeIntervalNs: least capture time between two probes while shedding;
    ///     keep it below the shedder's `probeHoldNs` so probes hold the level.
    public init(intervalNs: UInt64, probeIntervalNs: UInt64 = 1_000_000_000) {
        self.intervalNs = intervalNs
        self.probeIntervalNs = probeIntervalNs
    }

    /// Decides for a frame captured at `capturedNs` while the node sheds at `level`.
    public mutating func decide(capturedNs: UInt64, level: ShedLevel) -> Decision {
        let shedding = level >= .skipSceneScoring
        let gap = shedding ? max(probeIntervalNs, intervalNs) : intervalNs
        // A capture time before the last one (a source that restarted its clock) restarts the cadence.
        if let last = lastScoredNs, gap > 0, capturedNs >= last, capturedNs - last < gap {
            return shedding ? .shed : .tooSoon
        }
        lastScoredNs = capturedNs
        return shedding ? .probe : .score
    }
}
