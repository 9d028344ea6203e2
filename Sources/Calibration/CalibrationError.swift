public import ConfigYAML

/// Why a calibration could not be read or used. The description names the file and key, or both image
/// sizes, or the pixel, so the user knows what to fix.
public enum CalibrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A missing key, a wrong matrix size, an unknown distortion model, ... (file, line and key inside).
    case file(YAMLFileError)
    /// The stream's size cannot be reached from the calibrated size by a uniform resize.
    case sizeMismatch(calibrated: ImageSize, stream: ImageSize, file: String?)
    /// The pixel lies where the distortion model cannot be inverted (far outside the calibrated field of view).
    case notInvertible(u: Double, v: Double, reason: String)
    /// The point is behind the camera or on its centre plane.
    case notProjectable(x: Double, y: Double, z: Double)

    public var description: String {
        switch self {
        case .file(let error):
            return error.description
        case .sizeMismatch(let calibrated, let stream, let file):
            let source = file.map { " (\($0))" } ?? ""
            return "the calibration\(source) is for \(calibrated) but the stream is \(stream); "
                + "only a resize with the same aspect ratio can be corrected for (recalibrate at \(stream))"
        case .notInvertible(let u, let v, let reason):
            return "pixel (\(u), \(v)) cannot be undistorted: \(reason)"
        case .notProjectable(let x, let y, let z):
            return "point (\(x), \(y), \(z)) is not in front of the camera (z must be positive)"
        }
    }
}

/// An image size in pixels.
public struct ImageSize: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }
}
