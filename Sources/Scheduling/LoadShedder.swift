/// How much work the node is shedding. Levels are cumulative and taken in this
/// fixed order as load rises (and released in reverse as it falls):
///
/// 1. skip scene scoring (the `scene` topic slows to the occasional probe; grounding continues);
/// 2. ground at a lower resolution (fewer, coarser windows);
/// 3. reject new commands with `busy` (while the interpreter is taken: see `IntentEngine`).
public enum ShedLevel: Int, Sendable, Comparable, Codable, CaseIterable {
    case none = 0
    case skipSceneScoring = 1
    case lowerGroundingResolution = 2
    case rejectCommands = 3

    public static func < (a: ShedLevel, b: ShedLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .none: "none"
        case .skipSceneScoring: "skip_scene_scoring"
        case .lowerGroundingResolution: "lower_grounding_resolution"
        case .rejectCommands: "reject_commands"
        }
    }
}

/// Decides the shed level from how frame work meets its budget, and from time.
///
/// Up: each frame job reports its load (latency / budget). `escalateAfter`
/// consecutive overloaded reports (load above `highWater`, or a miss) raise the
/// level by one.
///
/// Down: a level is kept only while something shows it is needed. A report at
/// or above `lowWater` is *pressure* and holds the level; without pressure the
/// level steps down one per quiet period, whether or not frame jobs report at
/// all. So the level always comes back once the load is gone, even when shedding
/// stopped the very work that used to report (a node that went idle reports
/// nothing): from the top, the way down takes three quiet periods.
///
/// Flapping is prevented three ways: load between the marks holds the level
/// (hysteresis); going up takes a run of overloaded reports; and a level that
/// keeps being re-entered soon after being left while its work was still
/// running fine (the shedding was what made it fine) is left more slowly each
/// time, its hold doubling up to `maxHoldNs`. That backoff only applies while
/// the work still runs: when it stops reporting (the intent ended), the level
/// steps down after the base quiet period.
///
/// Pure: every call takes the time, so tests drive it with a manual clock.
public struct LoadShedder: Sendable {
    /// What a report is about, which decides what it can do to the level.
    public enum Work: Sendable, Equatable {
        /// Work no level stops (grounding an active intent): it can raise the
        /// level to the top, its pressure holds any level, and its relaxed reports
        /// show that the current level is enough.
        case essential
        /// Work that stops at `level` (scene scoring at `skipSceneScoring`); while
        /// shed it still runs now and then as a probe. It can raise the level up to
        /// `level`, not beyond (shedding it is the cure), its pressure holds levels
        /// up to `level` for `probeHoldNs`, and a relaxed report says nothing about
        /// the work that still runs.
        case shedAt(ShedLevel)
    }

    public var highWater: Double
    public var lowWater: Double
    public var escalateAfter: Int
    /// Without pressure, the level steps down once per this period.
    public var quietPeriodNs: UInt64
    /// How long pressure from shed work (a probe) holds the levels that shed it;
    /// longer than the probe interval so one late probe does not release the level.
    public var probeHoldNs: UInt64
    /// The longest hold of a level that keeps coming back (see the backoff above).
    public var maxHoldNs: UInt64
    /// Re-entering a level within this time of leaving it counts as a flap.
    public var flapWindowNs: UInt64

    public private(set) var level: ShedLevel = .none
    /// Level changes so far, up or down.
    public private(set) var changes: UInt64 = 0

    private var overloadedRun = 0
    /// When the current level was entered.
    private var levelSinceNs: UInt64 = 0
    /// Latest pressure from essential work.
    private var essentialPressureNs: UInt64?
    /// Latest relaxed report from essential work.
    private var essentialReliefNs: UInt64?
    /// Latest pressure from work shed at each level (indexed by raw level).
    private var shedWorkPressureNs: [UInt64?] = Array(repeating: nil, count: ShedLevel.allCases.count)
    /// Current hold of each level while its essential work runs fine (backoff).
    private var holdNs: [UInt64]
    /// When each level was last left while its essential work still ran fine.
    private var leftWhileRelievedNs: [UInt64?] = Array(repeating: nil, count: ShedLevel.allCases.count)

    public init(
        highWater: Double = 0.9, lowWater: Double = 0.5, escalateAfter: Int = 3,
        quietPeriodNs: UInt64 = 1_000_000_000, probeHoldNs: UInt64 = 2_500_000_000,
        maxHoldNs: UInt64 = 30_000_000_000, flapWindowNs: UInt64 = 10_000_000_000
    ) {
        self.highWater = highWater
        self.lowWater = lowWater
        self.escalateAfter = max(1, escalateAfter)
        self.quietPeriodNs = quietPeriodNs
        self.probeHoldNs = probeHoldNs
        self.maxHoldNs = max(maxHoldNs, quietPeriodNs)
        self.flapWindowNs = flapWindowNs
        holdNs = Array(repeating: quietPeriodNs, count: ShedLevel.allCases.count)
    }

    /// Records one frame job finished (or dropped late) at `atNs`; `load` is
    /// latency / budget (≥ 1 is a miss). Returns the level afterwards.
    @discardableResult
    public mutating func record(load: Double, atNs now: UInt64, work: Work = .essential) -> ShedLevel {
        relax(atNs: now)
        let load = load.isNaN ? .infinity : load  // an unmeasurable job counts as a miss
        let ceiling: ShedLevel
        switch work {
        case .essential: ceiling = .rejectCommands
        case .shedAt(let shedLevel): ceiling = shedLevel
        }
        let counts = level < ceiling  // only work the current level leaves running can push it up
        if load > highWater {
            if counts {
                overloadedRun += 1
                if overloadedRun >= escalateAfter { escalate(atNs: now) }
            }
        } else if counts {
            overloadedRun = 0
        }
        if load >= lowWater {
            switch work {
            case .essential: essentialPressureNs = now
            case .shedAt(let shedLevel): shedWorkPressureNs[shedLevel.rawValue] = now
            }
        } else if work == .essential {
            essentialReliefNs = now
        }
        return level
    }

    /// Steps the level down for the time that passed without pressure. Cheap;
    /// call it whenever the level is read.
    @discardableResult
    public mutating func relax(atNs now: UInt64) -> ShedLevel {
        while level > .none {
            let (at, relieved) = stepDown()
            guard now >= at else { break }
            leftWhileRelievedNs[level.rawValue] = relieved ? at : nil
            level = ShedLevel(rawValue: level.rawValue - 1) ?? .none
            levelSinceNs = at
            overloadedRun = 0
            changes += 1
        }
        return level
    }

    /// When the level will step down if nothing more is reported (nil at `none`).
    public var nextStepDownNs: UInt64? { level > .none ? stepDown().at : nil }

    /// When the current level steps down without new reports, and whether its
    /// essential work was still running fine then.
    private func stepDown() -> (at: UInt64, relieved: Bool) {
        let anchor = max(levelSinceNs, essentialPressureNs ?? 0)
        var at = adding(anchor, quietPeriodNs)
        var relieved = false
        if let relief = essentialReliefNs, relief > anchor {
            // The work still runs and the level holds it under the low mark: leave
            // after this level's hold, or a quiet period after the work stops reporting.
            let whileRunning = adding(anchor, holdNs[level.rawValue])
            let afterItStops = adding(relief, quietPeriodNs)
            relieved = whileRunning <= afterItStops
            at = min(whileRunning, afterItStops)
        }
        for shedLevel in ShedLevel.allCases where shedLevel >= level {
            if let pressure = shedWorkPressureNs[shedLevel.rawValue] {
                at = max(at, adding(pressure, probeHoldNs))
            }
        }
        return (at, relieved)
    }

    private mutating func escalate(atNs now: UInt64) {
        guard let next = ShedLevel(rawValue: level.rawValue + 1) else { return }
        if let left = leftWhileRelievedNs[next.rawValue], now >= left, now - left < flapWindowNs {
            holdNs[next.rawValue] = min(adding(holdNs[next.rawValue], holdNs[next.rawValue]), maxHoldNs)
        } else {
            holdNs[next.rawValue] = quietPeriodNs
        }
        level = next
        levelSinceNs = now
        overloadedRun = 0
        changes += 1
    }

    private func adding(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
