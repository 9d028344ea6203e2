/// The recording format, shared by the recorder and the replay source:
///
///     DIR/meta.json      RecordingMeta, one JSON object
///     DIR/frames.jsonl   one RecordedFrame per line, in capture order
///     DIR/000001.jpg     MJPEG frames exactly as the camera sent them
///     DIR/000002.png     uncompressed (YUYV) frames, converted to RGB and stored losslessly
public enum RecordingLayout {
    public static let metaFile = "meta.json"
    public static let framesFile = "frames.jsonl"
    public static let formatVersion = 1
}

/// `meta.json`: where and how a recording was made.
public struct RecordingMeta: Sendable, Equatable, Codable {
    public var formatVersion: Int
    /// The device path, or the source id for recordings of other sources.
    public var device: String
    public var card: String?
    public var bus: String?
    /// "mjpeg", "yuyv", or for recordings of recordings, what the frames are stored as.
    public var format: String
    public var width: Int
    public var height: Int
    public var fps: Double?
    /// Every camera control's value during the recording, by name.
    public var controls: [String: Int]
    /// The program that wrote it, "sightline 0.1.0".
    public var tool: String
    public var createdRealtimeNs: UInt64?
    /// Filled in when the recording is finished.
    public var frames: Int?

    public init(
        device: String, card: String? = nil, bus: String? = nil, format: String, width: Int, height: Int,
        fps: Double? = nil, controls: [String: Int] = [:], tool: String, createdRealtimeNs: UInt64? = nil
    ) {
        self.formatVersion = RecordingLayout.formatVersion
        self.device = device
        self.card = card
        self.bus = bus
        self.format = format
        self.width = width
        self.height = height
        self.fps = fps
        self.controls = controls
        self.tool = tool
        self.createdRealtimeNs = createdRealtimeNs
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case device, card, bus, format, width, height, fps, controls, tool
        case createdRealtimeNs = "created_realtime_ns"
        case frames
    }
}

/// One line of `frames.jsonl`.
public struct RecordedFrame: Sendable, Equatable, Codable {
    public var seq: UInt64
    public var monotonicNs: UInt64
    public var realtimeNs: UInt64
    /// The frame file, relative to the recording folder.
    public var file: String
    /// The file's size, so truncation is detected before decoding.
    public var bytes: Int

    public init(seq: UInt64, monotonicNs: UInt64, realtimeNs: UInt64, file: String, bytes: Int) {
        self.seq = seq
        self.monotonicNs = monotonicNs
        self.realtimeNs = realtimeNs
        self.file = file
        self.bytes = bytes
    }

    public var capture: CaptureTime { CaptureTime(monotonicNs: monotonicNs, realtimeNs: realtimeNs) }

    enum CodingKeys: String, CodingKey {
        case seq
        case monotonicNs = "monotonic_ns"
        case realtimeNs = "realtime_ns"
        case file, bytes
    }
}
