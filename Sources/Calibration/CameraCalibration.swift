import Foundation

/// A monocular camera calibration: intrinsics K, lens distortion, and the ROS rectification and
/// projection matrices (kept for completeness; rays are in the unrectified camera optical frame:
/// x right, y down, z forward).
///
/// Pixel convention (OpenCV's and ROS's): integer coordinates are pixel centres, so the top-left pixel
/// spans [-0.5, 0.5] and a resize by s maps u to (u + 0.5) s - 0.5.
public struct CameraCalibration: Sendable, Equatable {
    /// The file it was read from, for error messages.
    public var file: String?
    public var cameraName: String?
    /// The image size the calibration was made at.
    public var size: ImageSize
    /// K, row-major 3x3: [fx, skew, cx, 0, fy, cy, 0, 0, 1].
    public var cameraMatrix: [Double]
    public var distortion: Distortion
    /// R, row-major 3x3 (identity for a monocular camera).
    public var rectification: [Double]
    /// P, row-major 3x4 (ROS: [K' | K' t] of the rectified image; [K | 0] when absent).
    public var projection: [Double]

    public var fx: Double { cameraMatrix[0] }
    public var skew: Double { cameraMatrix[1] }
    public var cx: Double { cameraMatrix[2] }
    public var fy: Double { cameraMatrix[4] }
    public var cy: Double { cameraMatrix[5] }

    public init(
        file: String? = nil, cameraName: String? = nil, size: ImageSize, cameraMatrix: [Double],
        distortion: Distortion, rectification: [Double]? = nil, projection: [Double]? = nil
    ) {
        self.file = file
        self.cameraName = cameraName
        self.size = size
        self.cameraMatrix = cameraMatrix
        self.distortion = distortion
        self.rectification = rectification ?? [1, 0, 0, 0, 1, 0, 0, 0, 1]
        self.projection = projection ?? [
            cameraMatrix[0], cameraMatrix[1], cameraMatrix[2], 0,
            0, cameraMatrix[4], cameraMatrix[5], 0,
            0, 0, 1, 0,
        ]
    }

    // MARK: Stream size

    /// This calibration for frames of `stream` size: itself when the sizes match, K and P rescaled when
    /// the stream is a same-aspect resize (distortion acts on normalised coordinates, so it does not
    /// change), and an error naming both sizes otherwise.
    public func matching(stream: ImageSize) throws(CalibrationError) -> CameraCalibration {
        if stream == size { return self }
        // Same aspect ratio, exactly: w' h == h' w in integers (no tolerance: 640x480 -> 641x480 is not a resize).
        guard stream.width > 0, stream.height > 0, stream.width * size.height == stream.height * size.width else {
            throw .sizeMismatch(calibrated: size, stream: stream, file: file)
        }
        let scale = Double(stream.width) / Double(size.width)
        let shift = 0.5 * scale - 0.5
        var scaled = self
        scaled.size = stream
        var k = cameraMatrix
        k[0] *= scale; k[1] *= scale; k[2] = k[2] * scale + shift
        k[4] *= scale; k[5] = k[5] * scale + shift
        scaled.cameraMatrix = k
        var p = projection
        // Rows 0 and 1 scale, then add shift times row 2 (which is [0, 0, 1, 0] for ROS projections).
        for column in 0..<4 {
            p[column] = p[column] * scale + shift * p[8 + column]
            p[4 + column] = p[4 + column] * scale + shift * p[8 + column]
        }
        scaled.projection = p
        return scaled
    }

    // MARK: Rays and projection

    /// Pixel -> distorted normalised coordinates (inverse of K).
    private func normalised(u: Double, v: Double) -> (Double, Double) {
        let y = (v - cy) / fy
        return ((u - cx - skew * y) / fx, y)
    }

    /// The unit ray, in the camera optical frame, through pixel (u, v) of an image of `size`.
    public func ray(u: Double, v: Double) throws(CalibrationError) -> SIMD3<Double> {
        guard u.isFinite, v.isFinite else { throw .notInvertible(u: u, v: v, reason: "not a finite pixel") }
        let (xd, yd) = normalised(u: u, v: v)
        switch distortion.model {
        case .plumbBob, .rationalPolynomial:
            guard let (x, y) = distortion.undistortPinhole(xd, yd) else {
                throw .notInvertible(u: u, v: v, reason: "the \(distortion.model.rawValue) model does not converge there")
            }
            let direction = SIMD3(x, y, 1)
            return direction / (direction * direction).sum().squareRoot()
        case .equidistant:
            guard let direction = distortion.undistortFisheye(xd, yd) else {
                throw .notInvertible(u: u, v: v, reason: "beyond the equidistant model's monotonic range")
            }
            return direction
        }
    }

    /// Undistorted normalised coordinates (x/z, y/z) of pixel (u, v), what OpenCV's undistortPoints returns.
    public func undistortedNormalised(u: Double, v: Double) throws(CalibrationError) -> SIMD2<Double> {
        let ray = try ray(u: u, v: v)
        guard ray.z > 0 else { throw .notInvertible(u: u, v: v, reason: "the ray points 90 degrees or more off axis") }
        return SIMD2(ray.x / ray.z, ray.y / ray.z)
    }

    /// Camera-frame point or direction -> distorted pixel (OpenCV's projectPoints / fisheye::projectPoints).
    public func project(_ point: SIMD3<Double>) throws(CalibrationError) -> SIMD2<Double> {
        let (xd, yd): (Double, Double)
        switch distortion.model {
        case .plumbBob, .rationalPolynomial:
            guard point.z > 0, point.x.isFinite, point.y.isFinite, point.z.isFinite else {
                throw .notProjectable(x: point.x, y: point.y, z: point.z)
            }
            (xd, yd) = distortion.distortPinhole(point.x / point.z, point.y / point.z)
        case .equidistant:
            guard point.z > 0 || (point.x * point.x + point.y * point.y) > 0,
                  point.x.isFinite, point.y.isFinite, point.z.isFinite
            else { throw .notProjectable(x: point.x, y: point.y, z: point.z) }
            (xd, yd) = distortion.distortFisheye(point.x, point.y, point.z)
        }
        return SIMD2(fx * xd + skew * yd + cx, fy * yd + cy)
    }
}
