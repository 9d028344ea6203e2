/// How much work the node is shedding. Levels are cumulative and taken in this
/// fixed order as load rises (and released in reverse as it falls):
///
/// 1. skip scene scoring (the `scene` topic goes quiet; grounding continues);
/// 2. ground at a lower resolution (fewer, coarser windows);
/// 3. reject new commands with `busy`.
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

/// Decides the shed level from how frame work meets its budget.
///
/// Each finished (or expired) frame job reports its load: latency over budget.
/// `escalateAfter` consecutive overloaded frames (load above `highWater`, or a
/// miss) raise the level by one; `relaxAfter` consecutive frames under
/// `lowWater` lower it by one. The gap between the two marks and the run
/// lengths keep the level from flapping.
public struct LoadShedder: Sendable {
    public var highWater: Double
    public var lowWater: Double
    public var escalateAfter: Int
    public var relaxAfter: Int
    public private(set) var level: ShedLevel = .none
    private var overloadedRun = 0
    private var relaxedRun = 0

    public init(highWater: Double = 0.9, lowWater: Double = 0.5, escalateAfter: Int = 3, relaxAfter: Int = 30) {
        self.highWater = highWater
        self.lowWater = lowWater
        self.escalateAfter = escalateAfter
        self.relaxAfter = relaxAfter
    }

    /// Records one frame job; `load` is latency / budget (≥ 1 is a miss).
    /// Returns the level afterwards.
    @discardableResult
    public mutating func record(load: Double) -> ShedLevel {
        if load > highWater {
            overloadedRun += 1
            relaxedRun = 0
            if overloadedRun >= escalateAfter, let next = ShedLevel(rawValue: level.rawValue + 1) {
                level = next
                overloadedRun = 0
            }
        } else if load < lowWater {
            relaxedRun += 1
            overloadedRun = 0
            if relaxedRun >= relaxAfter, let previous = ShedLevel(rawValue: level.rawValue - 1) {
                level = previous
                relaxedRun = 0
            }
        } else {
            overloadedRun = 0
            relaxedRun = 0
        }
        return level
    }
}
