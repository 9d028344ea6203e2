public import CLIP
public import Capture
import Imaging

/// One frame's scene scores, ready to publish on the `scene` topic.
public struct SceneScores: Sendable {
    public var frameSeq: UInt64
    public var captured: CaptureTime
    /// Probability of each vocabulary label, in vocabulary order.
    public var scores: [(label: String, probability: Float)]
    /// Capture to scores, milliseconds.
    public var latencyMs: Double
}

/// Scores camera frames against the launch file's scene vocabulary with CLIP.
/// Only ever called from the compute executor's thread (it owns a JPEG decoder).
public final class SceneScorer: @unchecked Sendable {
    public let vocabulary: [String]
    private let classifier: ZeroShotClassifier
    private let decoder: JPEGDecoder

    public init(classifier: ZeroShotClassifier, vocabulary: [String]) throws {
        self.classifier = classifier
        self.vocabulary = vocabulary
        decoder = try JPEGDecoder()
        // Embed the vocabulary now, not on the first frame's deadline.
        _ = try classifier.labelEmbeddings(vocabulary)
    }

    public func score(_ frame: Frame, clock: any CaptureClock) throws(CLIPError) -> SceneScores {
        let scores = try classifier.classify(frame: frame, labels: vocabulary, decoder: decoder)
        let now = clock.monotonicNs()
        let latency = now > frame.capture.monotonicNs ? Double(now - frame.capture.monotonicNs) / 1e6 : 0
        return SceneScores(frameSeq: frame.seq, captured: frame.capture, scores: scores, latencyMs: latency)
    }
}
