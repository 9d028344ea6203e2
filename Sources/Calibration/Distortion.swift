import Foundation

/// The lens models ROS `camera_info` names (and OpenCV implements).
public enum DistortionModel: String, Sendable, CaseIterable, Codable {
    /// Brown–Conrady: k1, k2, p1, p2[, k3] (OpenCV's default model).
    case plumbBob = "plumb_bob"
    /// k1, k2, p1, p2, k3, k4, k5, k6 (OpenCV CALIB_RATIONAL_MODEL; 12 adds the thin-prism s1..s4).
    case rationalPolynomial = "rational_polynomial"
    /// Fisheye: k1, k2, k3, k4 on the angle (OpenCV's cv::fisheye).
    case equidistant
}

/// Validated distortion coefficients and the maths on normalised image coordinates (x = X/Z, y = Y/Z for
/// the pinhole models; the fisheye model works on the angle from the optical axis).
public struct Distortion: Sendable, Equatable {
    public let model: DistortionModel
    /// As given in the file.
    public let coefficients: [Double]
    /// Pinhole models: k1 k2 p1 p2 k3 k4 k5 k6 s1 s2 s3 s4, zero-padded. Fisheye: k1 k2 k3 k4.
    private let c: [Double]

    /// Coefficient counts each model accepts (OpenCV's 14-term tilted model only with zero tilt).
    public static func acceptedCounts(_ model: DistortionModel) -> [Int] {
        switch model {
        case .plumbBob: [4, 5]
        case .rationalPolynomial: [8, 12, 14]
        case .equidistant: [4]
        }
    }

    /// nil with a reason when the count does not fit the model (the caller adds file and key).
    public static func make(model: DistortionModel, coefficients: [Double]) -> Result<Distortion, DistortionProblem> {
        guard acceptedCounts(model).contains(coefficients.count) else {
            let counts = acceptedCounts(model).map(String.init).joined(separator: " or ")
            return .failure(DistortionProblem(
                message: "\(model.rawValue) needs \(counts) coefficients, got \(coefficients.count)"))
        }
        if coefficients.count == 14, coefficients[12] != 0 || coefficients[13] != 0 {
            return .failure(DistortionProblem(
                message: "the tilted-sensor terms (coefficients 13 and 14) are not supported; they must be 0"))
        }
        return .success(Distortion(model: model, coefficients: coefficients))
    }

    private init(model: DistortionModel, coefficients: [Double]) {
        self.model = model
        self.coefficients = coefficients
        let width = model == .equidistant ? 4 : 12
        self.c = Array((coefficients + Array(repeating: 0, count: width)).prefix(width))
    }

    public var isZero: Bool { coefficients.allSatisfy { $0 == 0 } }

    // MARK: Pinhole models (plumb_bob, rational_polynomial)

    /// Undistorted normalised (x, y) -> distorted normalised (x, y), as OpenCV's projectPoints.
    func distortPinhole(_ x: Double, _ y: Double) -> (Double, Double) {
        let r2 = x * x + y * y
        let r4 = r2 * r2, r6 = r4 * r2
        let radial = (1 + c[0] * r2 + c[1] * r4 + c[4] * r6) / (1 + c[5] * r2 + c[6] * r4 + c[7] * r6)
        let xd = x * radial + 2 * c[2] * x * y + c[3] * (r2 + 2 * x * x) + c[8] * r2 + c[9] * r4
        let yd = y * radial + c[2] * (r2 + 2 * y * y) + 2 * c[3] * x * y + c[10] * r2 + c[11] * r4
        return (xd, yd)
    }

    /// Distorted normalised -> undistorted normalised, by OpenCV's fixed-point iteration
    /// (x = (x_d - tangential(x)) / radial(x)), run to convergence rather than OpenCV's default 5 steps,
    /// then checked by distorting the answer again.
    func undistortPinhole(_ xd: Double, _ yd: Double) -> (Double, Double)? {
        var (x, y) = (xd, yd)
        for _ in 0..<200 {
            let r2 = x * x + y * y
            let r4 = r2 * r2, r6 = r4 * r2
            let inverseRadial = (1 + c[5] * r2 + c[6] * r4 + c[7] * r6) / (1 + c[0] * r2 + c[1] * r4 + c[4] * r6)
            guard inverseRadial > 0, inverseRadial.isFinite else { return nil }
            let dx = 2 * c[2] * x * y + c[3] * (r2 + 2 * x * x) + c[8] * r2 + c[9] * r4
            let dy = c[2] * (r2 + 2 * y * y) + 2 * c[3] * x * y + c[10] * r2 + c[11] * r4
            let next = ((xd - dx) * inverseRadial, (yd - dy) * inverseRadial)
            let step = abs(next.0 - x) + abs(next.1 - y)
            (x, y) = next
            if step < 1e-15 { break }
        }
        let (checkX, checkY) = distortPinhole(x, y)
        let residual = abs(checkX - xd) + abs(checkY - yd)
        guard x.isFinite, y.isFinite, residual < 1e-9 else { return nil }
        // Past the radius where the radial curve turns back, a second, folded radius distorts onto the
        // same pixel; it is not where the light came from.
        let radius = (x * x + y * y).squareRoot()
        let step = 1e-6 * max(radius, 1e-3)
        guard radialDistance(radius + step) > radialDistance(radius) else { return nil }
        return (x, y)
    }

    /// r -> distorted radius, radial terms only: r (1 + k1 r^2 + k2 r^4 + k3 r^6) / (1 + k4 r^2 + k5 r^4 + k6 r^6).
    private func radialDistance(_ r: Double) -> Double {
        let r2 = r * r
        return r * (1 + r2 * (c[0] + r2 * (c[1] + r2 * c[4]))) / (1 + r2 * (c[5] + r2 * (c[6] + r2 * c[7])))
    }

    // MARK: Equidistant (fisheye)

    /// theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8).
    private func fisheyeDistortedAngle(_ theta: Double) -> Double {
        let t2 = theta * theta
        return theta * (1 + t2 * (c[0] + t2 * (c[1] + t2 * (c[2] + t2 * c[3]))))
    }

    /// A direction (any length, z may be <= 0 for > 90 degrees) -> distorted normalised (x, y),
    /// as cv::fisheye::projectPoints for z > 0.
    func distortFisheye(_ X: Double, _ Y: Double, _ Z: Double) -> (Double, Double) {
        let radius = (X * X + Y * Y).squareRoot()
        guard radius > 0 else { return (0, 0) }
        let thetaD = fisheyeDistortedAngle(atan2(radius, Z))
        return (thetaD * X / radius, thetaD * Y / radius)
    }

    /// Distorted normalised -> unit direction, by Newton's method on theta as cv::fisheye::undistortPoints.
    func undistortFisheye(_ xd: Double, _ yd: Double) -> SIMD3<Double>? {
        let thetaD = (xd * xd + yd * yd).squareRoot()
        guard thetaD > 0 else { return SIMD3(0, 0, 1) }
        var theta = min(thetaD, Double.pi / 2)
        for _ in 0..<50 {
            let t2 = theta * theta
            let f = fisheyeDistortedAngle(theta) - thetaD
            let slope = 1 + t2 * (3 * c[0] + t2 * (5 * c[1] + t2 * (7 * c[2] + t2 * 9 * c[3])))
            guard slope > 0 else { return nil }
            let step = f / slope
            theta -= step
            if abs(step) < 1e-15 { break }
        }
        // The model is monotonic only up to where its slope vanishes; a solution past that, or a
        // negative angle, is a different ray that happens to land on the same pixel.
        guard theta.isFinite, theta >= 0, theta < Double.pi,
              abs(fisheyeDistortedAngle(theta) - thetaD) < 1e-9
        else { return nil }
        let sine = sin(theta)
        return SIMD3(sine * xd / thetaD, sine * yd / thetaD, cos(theta))
    }
}

/// Why coefficients do not fit a model.
public struct DistortionProblem: Error, Sendable, Equatable {
    public let message: String
}
