/// `sightline.status/1`, published on topic `status` once a second and once more
/// at shutdown: the node's health in one message.
public struct StatusMessage: Sendable, Equatable, Codable {
    public struct Camera: Sendable, Equatable, Codable {
        public enum State: String, Sendable, Codable, CaseIterable {
            case starting, ok, stalled, disconnected, stopped, error
        }
        public var state: State
        /// What is wrong, when the state is not ok.
        public var detail: String?
        /// Frames per second delivered by the source over the last interval.
        public var fps: Double

        public init(state: State, detail: String? = nil, fps: Double) {
            self.state = state
            self.detail = detail
            self.fps = fps
        }
    }

    public struct Frames: Sendable, Equatable, Codable {
        /// Frames delivered by the source since start.
        public var received: UInt64
        /// Frames the scheduler ran to completion.
        public var processed: UInt64
        /// Frames replaced in the latest-frame mailbox or skipped by load shedding.
        public var dropped: UInt64

        public init(received: UInt64, processed: UInt64, dropped: UInt64) {
            self.received = received
            self.processed = processed
            self.dropped = dropped
        }

        enum CodingKeys: String, CodingKey {
            case received = "in"
            case processed, dropped
        }
    }

    /// Latency percentiles of one stage since start, milliseconds.
    public struct Percentiles: Sendable, Equatable, Codable {
        public var count: UInt64
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double

        public init(count: UInt64, p50: Double, p90: Double, p99: Double, max: Double) {
            self.count = count
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.max = max
        }
    }

    public struct Commands: Sendable, Equatable, Codable {
        public var accepted: UInt64
        /// Rejections by reason (the reason strings of `RejectionReason`).
        public var rejected: [String: UInt64]

        public init(accepted: UInt64, rejected: [String: UInt64]) {
            self.accepted = accepted
            self.rejected = rejected
        }
    }

    public var schema: String = SchemaID.status
    /// When the heartbeat was made, ns since the Unix epoch.
    public var realtimeNs: UInt64
    public var uptimeS: Double
    public var camera: Camera
    public var frames: Frames
    /// Current depth of each queue by name (e.g. "commands", "compute").
    public var queueDepths: [String: Int]
    /// Per-stage latency percentiles by stage name (e.g. "scene", "interpret", "ground").
    public var latencyMs: [String: Percentiles]
    /// Deadline misses since start by stage name.
    public var deadlineMisses: [String: UInt64]
    /// Times a subscriber was found at its high-water mark, each costing it at
    /// least one message: zero means no subscriber missed anything (docs/protocol.md).
    public var publisherDrops: UInt64
    public var commands: Commands
    /// The current load-shedding level, 0 (none) to 3 (rejecting commands); see docs/protocol.md.
    public var shedding: Int
    /// Shedding level changes since start, up or down: a count that keeps rising
    /// while the load is steady means the level flaps. Absent from older nodes.
    public var sheddingChanges: UInt64?
    /// Ids of the loaded models by role.
    public var models: [String: String]
    /// The OpenBLAS kernel set in use, e.g. "Cooperlake" (optional: absent from older nodes).
    public var blasCore: String?
    /// The CPU features Sightline's own kernels use, e.g. "avx512_bf16" (optional: absent from older nodes).
    public var cpuFeatures: [String]?

    public init(
        realtimeNs: UInt64, uptimeS: Double, camera: Camera, frames: Frames, queueDepths: [String: Int],
        latencyMs: [String: Percentiles], deadlineMisses: [String: UInt64], publisherDrops: UInt64,
        commands: Commands, shedding: Int, sheddingChanges: UInt64? = nil, models: [String: String],
        blasCore: String? = nil, cpuFeatures: [String]? = nil
    ) {
        self.realtimeNs = realtimeNs
        self.uptimeS = uptimeS
        self.camera = camera
        self.frames = frames
        self.queueDepths = queueDepths
        self.latencyMs = latencyMs
        self.deadlineMisses = deadlineMisses
        self.publisherDrops = publisherDrops
        self.commands = commands
        self.shedding = shedding
        self.sheddingChanges = sheddingChanges
        self.models = models
        self.blasCore = blasCore
        self.cpuFeatures = cpuFeatures
    }

    enum CodingKeys: String, CodingKey {
        case schema, camera, frames, commands, shedding, models
        case realtimeNs = "realtime_ns"
        case uptimeS = "uptime_s"
        case queueDepths = "queue_depths"
        case latencyMs = "latency_ms"
        case deadlineMisses = "deadline_misses"
        case publisherDrops = "publisher_drops"
        case sheddingChanges = "shedding_changes"
        case blasCore = "blas_core"
        case cpuFeatures = "cpu_features"
    }
}
