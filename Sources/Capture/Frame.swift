public import Imaging

/// When a frame was captured, on both clocks a robot needs: the monotonic
/// clock for latency and deadlines, the wall clock to line frames up with
/// other sensors and logs.
public struct CaptureTime: Sendable, Hashable, Codable {
    public var monotonicNs: UInt64
    public var realtimeNs: UInt64

    public init(monotonicNs: UInt64, realtimeNs: UInt64) {
        self.monotonicNs = monotonicNs
        self.realtimeNs = realtimeNs
    }

    enum CodingKeys: String, CodingKey {
        case monotonicNs = "monotonic_ns"
        case realtimeNs = "realtime_ns"
    }
}

/// One image from a camera or a recording.
public struct Frame: Sendable {
    /// The pixels: decoded RGB8, or the encoded bytes as they arrived, decoded on demand
    /// (at a reduced DCT scale when the consumer needs only a small image).
    public enum Pixels: Sendable, Equatable {
        case rgb8([UInt8])
        case jpeg([UInt8])
        case png([UInt8])
    }

    public var pixels: Pixels
    public var width: Int
    public var height: Int
    /// Increases by one for each frame a source delivers (gaps mean dropped frames).
    public var seq: UInt64
    /// When this frame entered the pipeline: the driver's timestamp for a
    /// camera, the moment of emission for a replay (so deadlines behave as live).
    public var capture: CaptureTime
    /// For a replayed frame, when it was originally recorded.
    public var originalCapture: CaptureTime?
    /// The source that produced the frame, for example `v4l2:/dev/video0` or `replay:/path`.
    public var sourceID: String
    /// The file the frame was read from, for replayed frames (used in error messages).
    public var origin: String?

    public init(
        pixels: Pixels, width: Int, height: Int, seq: UInt64, capture: CaptureTime,
        originalCapture: CaptureTime? = nil, sourceID: String, origin: String? = nil
    ) {
        self.pixels = pixels
        self.width = width
        self.height = height
        self.seq = seq
        self.capture = capture
        self.originalCapture = originalCapture
        self.sourceID = sourceID
        self.origin = origin
    }

    /// Decodes the frame to RGB8. For JPEG the scale is applied inside the
    /// decoder (no full-size decode); RGB and PNG frames are box-downscaled.
    /// Pass a decoder to reuse its TurboJPEG handle across frames.
    public func rgb(scale: JPEGScale = .full, decoder: JPEGDecoder? = nil) throws(ImagingError) -> RGBImage {
        switch pixels {
        case .jpeg(let bytes):
            if let decoder { return try decoder.decode(bytes, scale: scale) }
            return try JPEGDecoder().decode(bytes, scale: scale)
        case .png(let bytes):
            return try PNGCodec.decode(bytes).downscaled(by: scale.denominator)
        case .rgb8(let bytes):
            return try RGBImage(width: width, height: height, pixels: bytes).downscaled(by: scale.denominator)
        }
    }
}
