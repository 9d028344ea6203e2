/// `sightline.scene/1`, published on topic `scene`: CLIP scores of the launch
/// file's object vocabulary for one frame.
public struct SceneMessage: Sendable, Equatable, Codable {
    public var schema: String = SchemaID.scene
    public var frame: FrameStamp
    /// Probability per vocabulary label (softmax over the vocabulary, sums to 1).
    public var scores: [String: Double]
    /// Capture to publish, in milliseconds.
    public var latencyMs: Double

    public init(frame: FrameStamp, scores: [String: Double], latencyMs: Double) {
        self.frame = frame
        self.scores = scores
        self.latencyMs = latencyMs
    }

    enum CodingKeys: String, CodingKey {
        case schema, frame, scores
        case latencyMs = "latency_ms"
    }
}
