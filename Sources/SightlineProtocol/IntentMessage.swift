/// Which camera frame a published answer is about.
public struct FrameStamp: Sendable, Equatable, Codable {
    /// The capture sequence number (monotonic per run).
    public var seq: UInt64
    /// Capture time on the wall clock (CLOCK_REALTIME), ns since the Unix epoch.
    public var capturedRealtimeNs: UInt64
    /// Capture time on CLOCK_MONOTONIC, ns; comparable within one host and boot.
    public var capturedMonotonicNs: UInt64

    public init(seq: UInt64, capturedRealtimeNs: UInt64, capturedMonotonicNs: UInt64) {
        self.seq = seq
        self.capturedRealtimeNs = capturedRealtimeNs
        self.capturedMonotonicNs = capturedMonotonicNs
    }

    enum CodingKeys: String, CodingKey {
        case seq
        case capturedRealtimeNs = "captured_realtime_ns"
        case capturedMonotonicNs = "captured_monotonic_ns"
    }
}

/// A phrase of the command located in the frame.
public struct GroundedPhrase: Sendable, Equatable, Codable {
    public var phrase: String
    /// `[x0, y0, x1, y1]` in pixels of the stream image, x0 <= x1, y0 <= y1.
    public var box: [Double]
    /// `[u, v]` in pixels: the point a controller should aim at.
    public var center: [Double]
    /// Grounding confidence, 0...1.
    public var score: Double
    /// Unit ray `[x, y, z]` through `center`, in the robot base frame when a
    /// camera-to-base transform is calibrated, else in the camera frame; absent
    /// without calibration.
    public var ray: [Double]?

    public init(phrase: String, box: [Double], center: [Double], score: Double, ray: [Double]? = nil) {
        self.phrase = phrase
        self.box = box
        self.center = center
        self.score = score
        self.ray = ray
    }
}

public enum IntentStatus: String, Sendable, Codable, CaseIterable {
    case grounded
    case notFound = "not_found"
    case ambiguous
    case timeout
    case error
}

public struct IntentLatency: Sendable, Equatable, Codable {
    public var interpret: Double
    public var ground: Double
    public var total: Double

    public init(interpret: Double, ground: Double, total: Double) {
        self.interpret = interpret
        self.ground = ground
        self.total = total
    }
}

/// `sightline.intent/1`, published on topic `intent`: what a command asks the
/// robot to do, grounded in one identified frame.
public struct IntentMessage: Sendable, Equatable, Codable {
    public var schema: String = SchemaID.intent
    /// Unique per published intent.
    public var id: String
    /// The accepted command this answers.
    public var commandID: String
    /// 0 for the first answer to a command; a later revision supersedes earlier ones.
    public var revision: Int
    /// The command text as received.
    public var text: String
    /// The action verb from the launch file's action vocabulary (e.g. "pick", "point").
    public var action: String
    /// Present when the status is grounded or ambiguous (the best candidate).
    public var target: GroundedPhrase?
    public var destination: GroundedPhrase?
    public var status: IntentStatus
    public var frame: FrameStamp
    public var latencyMs: IntentLatency
    /// After this wall-clock time (ns since the epoch) a controller must not act on the intent.
    public var validUntilRealtimeNs: UInt64
    /// Ids of the models that produced the intent, by role (e.g. "clip", "interpreter").
    public var models: [String: String]

    public init(
        id: String, commandID: String, revision: Int, text: String, action: String,
        target: GroundedPhrase?, destination: GroundedPhrase? = nil, status: IntentStatus, frame: FrameStamp,
        latencyMs: IntentLatency, validUntilRealtimeNs: UInt64, models: [String: String]
    ) {
        self.id = id
        self.commandID = commandID
        self.revision = revision
        self.text = text
        self.action = action
        self.target = target
        self.destination = destination
        self.status = status
        self.frame = frame
        self.latencyMs = latencyMs
        self.validUntilRealtimeNs = validUntilRealtimeNs
        self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, revision, text, action, target, destination, status, frame, models
        case commandID = "command_id"
        case latencyMs = "latency_ms"
        case validUntilRealtimeNs = "valid_until_realtime_ns"
    }
}
