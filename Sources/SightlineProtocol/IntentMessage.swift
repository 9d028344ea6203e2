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
///
/// Whatever its status, an intent says what it is about: `action`, `targetPhrase` and
/// `destinationPhrase` are the interpretation (as far as it got), so a `not_found` names what
/// was looked for and a `timeout` or `error` says how far the node got.
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
    /// The action verb from the launch file's action vocabulary (e.g. "pick", "point"); "stop" for a
    /// stop, "unknown" when the command was not interpreted.
    public var action: String
    /// The interpreted object phrase, whatever the status; nil when the command was not interpreted
    /// (or names no object). Always encoded (`null` when nil).
    public var targetPhrase: String?
    /// The interpreted destination phrase; nil when the command has none or was not interpreted.
    /// Always encoded (`null` when nil).
    public var destinationPhrase: String?
    /// Present when the status is grounded or ambiguous (the best candidate).
    public var target: GroundedPhrase?
    public var destination: GroundedPhrase?
    public var status: IntentStatus
    /// Why a `timeout` or `error` happened (for logs and people; do not parse it).
    public var detail: String?
    public var frame: FrameStamp
    public var latencyMs: IntentLatency
    /// After this wall-clock time (ns since the epoch) a controller must not act on the intent.
    public var validUntilRealtimeNs: UInt64
    /// Ids of the models that produced the intent, by role (e.g. "clip", "interpreter").
    public var models: [String: String]

    public init(
        id: String, commandID: String, revision: Int, text: String, action: String,
        targetPhrase: String? = nil, destinationPhrase: String? = nil,
        target: GroundedPhrase?, destination: GroundedPhrase? = nil, status: IntentStatus, detail: String? = nil,
        frame: FrameStamp, latencyMs: IntentLatency, validUntilRealtimeNs: UInt64, models: [String: String]
    ) {
        self.id = id
        self.commandID = commandID
        self.revision = revision
        self.text = text
        self.action = action
        self.targetPhrase = targetPhrase
        self.destinationPhrase = destinationPhrase
        self.target = target
        self.destination = destination
        self.status = status
        self.detail = detail
        self.frame = frame
        self.latencyMs = latencyMs
        self.validUntilRealtimeNs = validUntilRealtimeNs
        self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, revision, text, action, target, destination, status, detail, frame, models
        case commandID = "command_id"
        case targetPhrase = "target_phrase"
        case destinationPhrase = "destination_phrase"
        case latencyMs = "latency_ms"
        case validUntilRealtimeNs = "valid_until_realtime_ns"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schema = try container.decode(String.self, forKey: .schema)
        id = try container.decode(String.self, forKey: .id)
        commandID = try container.decode(String.self, forKey: .commandID)
        revision = try container.decode(Int.self, forKey: .revision)
        text = try container.decode(String.self, forKey: .text)
        action = try container.decode(String.self, forKey: .action)
        // Absent in intents from nodes older than these fields.
        targetPhrase = try container.decodeIfPresent(String.self, forKey: .targetPhrase)
        destinationPhrase = try container.decodeIfPresent(String.self, forKey: .destinationPhrase)
        target = try container.decodeIfPresent(GroundedPhrase.self, forKey: .target)
        destination = try container.decodeIfPresent(GroundedPhrase.self, forKey: .destination)
        status = try container.decode(IntentStatus.self, forKey: .status)
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
        frame = try container.decode(FrameStamp.self, forKey: .frame)
        latencyMs = try container.decode(IntentLatency.self, forKey: .latencyMs)
        validUntilRealtimeNs = try container.decode(UInt64.self, forKey: .validUntilRealtimeNs)
        models = try container.decode([String: String].self, forKey: .models)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schema, forKey: .schema)
        try container.encode(id, forKey: .id)
        try container.encode(commandID, forKey: .commandID)
        try container.encode(revision, forKey: .revision)
        try container.encode(text, forKey: .text)
        try container.encode(action, forKey: .action)
        // Always present, null when unknown: a reader can rely on the key.
        try container.encode(targetPhrase, forKey: .targetPhrase)
        try container.encode(destinationPhrase, forKey: .destinationPhrase)
        try container.encodeIfPresent(target, forKey: .target)
        try container.encodeIfPresent(destination, forKey: .destination)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encode(frame, forKey: .frame)
        try container.encode(latencyMs, forKey: .latencyMs)
        try container.encode(validUntilRealtimeNs, forKey: .validUntilRealtimeNs)
        try container.encode(models, forKey: .models)
    }
}
