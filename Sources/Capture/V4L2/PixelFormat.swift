import CV4L2Shim

/// The two camera formats Sightline negotiates. MJPEG keeps USB bandwidth
/// low at high resolutions; YUYV avoids compression artefacts and decode
/// cost at small ones.
public enum CameraPixelFormat: String, Sendable, Codable, CaseIterable {
    case mjpeg
    case yuyv

    public var fourcc: UInt32 {
        switch self {
        case .mjpeg: sl_pix_fmt_mjpeg()
        case .yuyv: sl_pix_fmt_yuyv()
        }
    }

    /// Both MJPG and JPEG fourccs carry JPEG frames.
    public init?(fourcc: UInt32) {
        if fourcc == sl_pix_fmt_mjpeg() || fourcc == sl_pix_fmt_jpeg() {
            self = .mjpeg
        } else if fourcc == sl_pix_fmt_yuyv() {
            self = .yuyv
        } else {
            return nil
        }
    }
}

/// A fourcc as its four characters, "MJPG".
public func fourccString(_ code: UInt32) -> String {
    let bytes = (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }
    return String(decoding: bytes.map { (32...126).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        .trimmingTrailingSpaces()
}

/// The fourcc of four characters (space-padded).
public func fourccCode(_ text: String) -> UInt32? {
    let bytes = Array(text.utf8)
    guard (1...4).contains(bytes.count) else { return nil }
    let padded = bytes + [UInt8](repeating: 32, count: 4 - bytes.count)
    return padded.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// A frame interval as V4L2 gives it: seconds per frame as a fraction.
public struct FrameInterval: Sendable, Hashable, Codable {
    public var numerator: UInt32
    public var denominator: UInt32

    public init(numerator: UInt32, denominator: UInt32) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public init(fps: Double) {
        // 1/fps with a denominator that keeps 29.97 and friends exact enough.
        self.init(numerator: 1000, denominator: UInt32((fps * 1000).rounded()))
    }

    public var fps: Double { numerator == 0 ? 0 : Double(denominator) / Double(numerator) }
}

/// One frame size a format offers, with the frame rates at that size.
public struct FrameSizeCapability: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    /// For drivers that describe sizes as a range (stepwise), the range; width/height are then the maximum.
    public var stepwise: Stepwise?
    public var intervals: [FrameInterval]

    public struct Stepwise: Sendable, Equatable, Codable {
        public var minWidth: Int, maxWidth: Int, stepWidth: Int
        public var minHeight: Int, maxHeight: Int, stepHeight: Int

        enum CodingKeys: String, CodingKey {
            case minWidth = "min_width", maxWidth = "max_width", stepWidth = "step_width"
            case minHeight = "min_height", maxHeight = "max_height", stepHeight = "step_height"
        }
    }

    public init(width: Int, height: Int, stepwise: Stepwise? = nil, intervals: [FrameInterval]) {
        self.width = width
        self.height = height
        self.stepwise = stepwise
        self.intervals = intervals
    }
}

/// One pixel format a device offers.
public struct FormatCapability: Sendable, Equatable, Codable {
    public var fourcc: String
    public var description: String
    public var compressed: Bool
    public var sizes: [FrameSizeCapability]

    public init(fourcc: String, description: String, compressed: Bool, sizes: [FrameSizeCapability]) {
        self.fourcc = fourcc
        self.description = description
        self.compressed = compressed
        self.sizes = sizes
    }

    public var pixelFormat: CameraPixelFormat? { fourccCode(fourcc).flatMap(CameraPixelFormat.init(fourcc:)) }
}
