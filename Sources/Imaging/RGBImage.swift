/// An 8-bit RGB image, rows packed without padding (stride = 3 * width).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImagingError) {
        guard width > 0, height > 0 else {
            throw .invalidSize("image size \(width)x\(height) must be positive")
        }
        guard pixels.count == width * height * 3 else {
            throw .invalidSize("RGB8 \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image of the given size.
    public init(width: Int, height: Int) throws(ImagingError) {
        try self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: max(0, width * height * 3)))
    }

    /// Bytes per row.
    public var stride: Int { width * 3 }
}

public enum ImagingError: Error, Equatable, CustomStringConvertible {
    case invalidSize(String)
    case corruptJPEG(String)
    case corruptPNG(String)
    case encodeFailed(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .invalidSize(let m): return m
        case .corruptJPEG(let m): return "corrupt JPEG: \(m)"
        case .corruptPNG(let m): return "corrupt PNG: \(m)"
        case .encodeFailed(let m): return "encode failed: \(m)"
        case .unreadable(let m): return m
        }
    }
}

/// `Array.withUnsafeBytes` rethrows untyped errors; this keeps the typed one.
func withBytes<R>(
    _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ImagingError) -> R
) throws(ImagingError) -> R {
    try array.withUnsafeBytes { raw in Result { () throws(ImagingError) in try body(raw) } }.get()
}
