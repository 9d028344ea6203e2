import Calibration
import Testing

/// Inversion where the answer is known in closed form.
@Suite struct DistortionInversionTests {
    /// fx = fy = 100, principal point (0, 0): pixel u is normalised x = u / 100.
    static func camera(_ model: DistortionModel, _ coefficients: [Double]) throws -> CameraCalibration {
        let distortion = try Distortion.make(model: model, coefficients: coefficients).get()
        return CameraCalibration(size: ImageSize(width: 640, height: 480), cameraMatrix: [100, 0, 0, 0, 100, 0, 0, 0, 1], distortion: distortion)
    }

    /// k1 = -0.5: r_d = r (1 - r^2 / 2). r_d = 0.5 has the roots r = (sqrt 5 - 1) / 2 and r = 1; only
    /// the first lies where the curve still rises (it turns at r = sqrt(2/3)), so it is the answer.
    @Test func strongBarrelPicksTheRisingRoot() throws {
        let camera = try Self.camera(.plumbBob, [-0.5, 0, 0, 0, 0])
        let point = try camera.undistortedNormalised(u: 50, v: 0)
        #expect(abs(point.x - (5.0.squareRoot() - 1) / 2) < 1e-12)
        #expect(abs(point.y) < 1e-15)
    }

    /// Beyond the curve's maximum (r_d = 0.544 at r = 0.816) no ray lands: refused.
    @Test func beyondTheTurningPointIsRefused() throws {
        let camera = try Self.camera(.plumbBob, [-0.5, 0, 0, 0, 0])
        #expect(throws: CalibrationError.self) { try camera.ray(u: 60, v: 0) }
    }

    /// Fisheye k = 0: theta_d = theta, so pixel u = 100 * theta exactly.
    @Test func idealFisheyeIsTheAngle() throws {
        let camera = try Self.camera(.equidistant, [0, 0, 0, 0])
        let ray = try camera.ray(u: 100 * Double.pi / 3, v: 0)
        #expect(abs(ray.x - (3.0.squareRoot() / 2)) < 1e-12 && abs(ray.z - 0.5) < 1e-12)
        // 100 degrees off axis still projects and inverts with the equidistant model.
        let wide = try camera.ray(u: 100 * (100 * Double.pi / 180), v: 0)
        #expect(wide.z < 0)
        #expect(abs(try camera.project(wide).x - 100 * (100 * Double.pi / 180)) < 1e-9)
    }

    @Test func coefficientCountsAreChecked() {
        #expect(throws: DistortionProblem.self) { try Distortion.make(model: .rationalPolynomial, coefficients: [1, 2, 3, 4, 5]).get() }
        #expect(throws: DistortionProblem.self) {
            try Distortion.make(model: .rationalPolynomial, coefficients: Array(repeating: 0, count: 12) + [0.1, 0]).get()
        }
        #expect((try? Distortion.make(model: .plumbBob, coefficients: [0, 0, 0, 0]).get()) != nil)
    }
}
