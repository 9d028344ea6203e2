/// An axis-aligned box in pixels of the frame: x0, y0 inclusive edges, x1, y1 exclusive.
public struct GroundingBox: Sendable, Equatable, Codable {
    public var x0: Float
    public var y0: Float
    public var x1: Float
    public var y1: Float

    public init(x0: Float, y0: Float, x1: Float, y1: Float) {
        (self.x0, self.y0, self.x1, self.y1) = (x0, y0, x1, y1)
    }

    public var width: Float { max(0, x1 - x0) }
    public var height: Float { max(0, y1 - y0) }
    public var area: Float { width * height }
    public var center: (u: Float, v: Float) { ((x0 + x1) / 2, (y0 + y1) / 2) }

    /// Intersection over union (0 when either box is empty).
    public func iou(_ other: GroundingBox) -> Float {
        let iw = max(0, min(x1, other.x1) - max(x0, other.x0))
        let ih = max(0, min(y1, other.y1) - max(y0, other.y0))
        let inter = iw * ih
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }

    /// [x0, y0, x1, y1], the CLI's and the truth files' order.
    public var array: [Float] { [x0, y0, x1, y1] }
}

/// What grounding a phrase in a frame found.
public struct GroundingResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, Codable {
        /// One region clearly holds the phrase.
        case grounded
        /// No region scores high enough: the phrase is not in view (abstaining, never guessing).
        case notFound = "not_found"
        /// Two separate regions score too close to call.
        case ambiguous
    }

    /// A scored candidate region after suppression.
    public struct Region: Sendable, Equatable {
        public var box: GroundingBox
        /// Calibrated probability of the phrase in this window (softmax against the distractors).
        public var probability: Float
        /// `probability` plus the prior box's bonus: what regions are ranked by.
        public var rank: Float
    }

    public var status: Status
    /// The best region's box (fused over its agreeing windows); nil when `notFound`.
    public var box: GroundingBox?
    /// The best region's calibrated probability, also when abstaining.
    public var score: Float
    /// Surviving regions, best first (at most `maxRegions`).
    public var regions: [Region]
    /// Windows scored in this frame (one batch).
    public var windowCount: Int

    public var center: (u: Float, v: Float)? { box?.center }
}
