/// How `Grounder` searches a frame and when it abstains.
///
/// The defaults suit the demo CLIP (64x64 input) on 320x240 to 640x480 frames
/// with tabletop objects a sixth to a third of the frame's short side. The
/// thresholds were chosen on validation scenes of scripts/demo/make_scenes.py
/// (seed 901, `scripts/demo/eval_grounding.py --seed 901 --count 50 --sweep`),
/// never on the held-out test scenes: 0.8 keeps absent objects' false boxes
/// at 1% there without losing present ones (their scores are above 0.9).
public struct GroundingConfiguration: Sendable, Equatable {
    /// Window sides as fractions of the frame's shorter side: the multi-scale sliding windows.
    public var windowScales: [Float] = [0.2, 0.3, 0.45]
    /// Step between neighbouring windows, as a fraction of the window side.
    public var stride: Float = 0.5
    /// Prompts for "no object here"; each is a distractor for every target.
    public var backgroundPrompts: [String] = ["an empty table", "background", "a wooden table", "the floor"]
    /// Prompt templates ensembled for every phrase; `{}` is replaced by the phrase as given
    /// (phrases carry their own article: "a red cube").
    public var templates: [String] = ["{}", "a photo of {}."]
    /// A distractor whose text embedding is this close (cosine) to the target's is a paraphrase
    /// of it ("a red block" for "a red cube") and is left out, so it cannot split the target's probability.
    public var paraphraseSimilarity: Float = 0.92
    /// Windows overlapping a better one by more than this IoU are suppressed.
    public var nmsIoU: Float = 0.3
    /// Windows kept after suppression (the best and its rivals).
    public var maxRegions: Int = 5
    /// The best region's calibrated probability must reach this, or the answer is `not_found`.
    public var foundThreshold: Float = 0.8
    /// When a region that does not overlap the found box at all, itself over the threshold,
    /// ranks within this of the best, the answer is `ambiguous`.
    public var ambiguityMargin: Float = 0.1
    /// A region's ranking score gains `priorWeight * IoU(region, prior box)`, so a tracked box
    /// does not jump to a similar object when both score alike.
    public var priorWeight: Float = 0.2
    /// Windows ranking within this of the best, inside it and overlapping it, are near-ties:
    /// the smallest becomes the best region (a tight window and one with table around the
    /// object both score ~1; the tight one is the better box).
    public var tightTieMargin: Float = 0.02
    /// The reported box is the score-weighted mean of the windows that overlap the best one by
    /// at least this IoU, score at least `fusionFloor` of its probability and are at most 1.5 times
    /// its area (larger windows would pull the box outwards) (0 disables fusion).
    public var fusionIoU: Float = 0.3
    public var fusionFloor: Float = 0.5
    /// Dense patch-similarity mode: also score every window's patch tokens against the labels,
    /// average them onto a frame grid, and report the extent of the cells around the best region's
    /// peak that reach `denseFraction` of it (instead of the fused window box). Off by default:
    /// the demo CLIP was trained on whole windows, not patches.
    public var dense = false
    public var denseFraction: Float = 0.5
    /// A frame is refused when its windows would number more than this (every window is a CLIP
    /// pass and a slice of one batch buffer). The defaults give 185 on a 4:3 frame of any size.
    public var maxWindows = 1024

    /// The smallest window scale and stride accepted: below them the windows would number in the
    /// thousands on an ordinary frame (and be under the 8-pixel floor on a small one).
    public static let minimumWindowScale: Float = 0.02
    public static let minimumStride: Float = 0.05

    public init() {}

    /// The first problem with these settings, if any.
    public func validate() -> String? {
        if windowScales.isEmpty || windowScales.count > 16
            || windowScales.contains(where: { !($0 >= Self.minimumWindowScale && $0 <= 1) }) {
            return "window scales must be 1 to 16 numbers in \(Self.minimumWindowScale)...1, got \(windowScales)"
        }
        if !(stride >= Self.minimumStride && stride <= 1) { return "stride must be in \(Self.minimumStride)...1, got \(stride)" }
        if !(1...65_536).contains(maxWindows) { return "max windows must be 1...65536, got \(maxWindows)" }
        if ![paraphraseSimilarity, ambiguityMargin, priorWeight, tightTieMargin, fusionFloor, denseFraction].allSatisfy(\.isFinite) {
            return "thresholds, margins and weights must be finite numbers"
        }
        if templates.isEmpty || templates.contains(where: { !$0.contains("{}") }) {
            return "every prompt template needs a {} where the phrase goes"
        }
        if !(0...1).contains(foundThreshold) { return "found threshold must be in 0...1" }
        if !(ambiguityMargin >= 0) || !(priorWeight >= 0) || !(tightTieMargin >= 0) { return "ambiguity margin, prior weight and tie margin must be non-negative" }
        if !(0...1).contains(nmsIoU) || !(0...1).contains(fusionIoU) { return "IoU thresholds must be in 0...1" }
        if maxRegions < 2 { return "max regions must be at least 2 (the best and a rival)" }
        return nil
    }
}
