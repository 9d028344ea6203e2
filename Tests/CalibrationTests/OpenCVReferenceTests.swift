import Calibration
import Foundation
import TestSupport
import Testing

/// Undistortion and projection against OpenCV's own results
/// (scripts/fixtures/make_calibration_fixtures.py, opencv-python-headless 5.0.0.93).
@Suite struct OpenCVReferenceTests {
    static let fixtures = RepositoryPaths.fixtures.appendingPathComponent("calibration")

    struct Reference: Decodable {
        struct Entry: Decodable {
            var model: String
            var K: [[Double]]
            var D: [Double]
            var ros_file: String
            var opencv_file: String?
            var opencv4_file: String?
            var pixels: [[Double]]
            var pixels_opencv_cannot_invert: [[Double]]
            var undistorted_normalised: [[Double]]
            var points: [[Double]]
            var projected_pixels: [[Double]]
        }
        var width: Int
        var height: Int
        var calibrations: [String: Entry]
    }

    static let reference: Reference = {
        let data = try! Data(contentsOf: fixtures.appendingPathComponent("reference.json"))
        return try! JSONDecoder().decode(Reference.self, from: data)
    }()

    static func load(_ name: String) throws -> CameraCalibration {
        try CameraCalibration.load(path: fixtures.appendingPathComponent(name).path)
    }

    @Test(arguments: ["plumb_bob", "rational_polynomial", "equidistant"])
    func rosFileReadsAsWritten(name: String) throws {
        let entry = try #require(Self.reference.calibrations[name])
        let calibration = try Self.load(entry.ros_file)
        #expect(calibration.distortion.model.rawValue == entry.model)
        #expect(calibration.cameraMatrix == entry.K.flatMap { $0 })
        #expect(calibration.distortion.coefficients == entry.D)
        #expect(calibration.size == ImageSize(width: Self.reference.width, height: Self.reference.height))
        #expect(calibration.cameraName == name)
    }

    @Test(arguments: ["plumb_bob", "rational_polynomial", "equidistant"])
    func undistortMatchesOpenCV(name: String) throws {
        let entry = try #require(Self.reference.calibrations[name])
        let calibration = try Self.load(entry.ros_file)
        var worst = 0.0
        for (pixel, expected) in zip(entry.pixels, entry.undistorted_normalised) {
            let got = try calibration.undistortedNormalised(u: pixel[0], v: pixel[1])
            worst = max(worst, abs(got.x - expected[0]), abs(got.y - expected[1]))
        }
        // Normalised units: 1e-9 is a millionth of a pixel at f = 600.
        #expect(worst < 1e-9, "worst difference \(worst)")
    }

    @Test(arguments: ["plumb_bob", "rational_polynomial", "equidistant"])
    func projectMatchesOpenCV(name: String) throws {
        let entry = try #require(Self.reference.calibrations[name])
        let calibration = try Self.load(entry.ros_file)
        var worst = 0.0
        for (point, expected) in zip(entry.points, entry.projected_pixels) {
            let got = try calibration.project(SIMD3(point[0], point[1], point[2]))
            worst = max(worst, abs(got.x - expected[0]), abs(got.y - expected[1]))
        }
        #expect(worst < 1e-6, "worst difference \(worst) px")
    }

    /// Where OpenCV's own inversion fails (image corners of the strong lenses), the Swift code either
    /// refuses the pixel or returns a ray that really projects onto it: never a wrong ray.
    @Test(arguments: ["rational_polynomial", "equidistant"])
    func cornersOpenCVCannotInvertAreRefusedOrExact(name: String) throws {
        let entry = try #require(Self.reference.calibrations[name])
        let calibration = try Self.load(entry.ros_file)
        #expect(!entry.pixels_opencv_cannot_invert.isEmpty)
        for pixel in entry.pixels_opencv_cannot_invert {
            do {
                let back = try calibration.project(try calibration.ray(u: pixel[0], v: pixel[1]))
                #expect(abs(back.x - pixel[0]) < 1e-9 && abs(back.y - pixel[1]) < 1e-9)
            } catch CalibrationError.notInvertible {
                continue
            }
        }
    }

    /// The files cv2.FileStorage wrote (OpenCV 5 `%YAML 1.2` header, and the `%YAML:1.0` header of
    /// OpenCV 2-4) read to the same calibration as the ROS file with the same values.
    @Test(arguments: [
        ("plumb_bob", "opencv_plumb_bob.yaml"), ("plumb_bob", "opencv4_plumb_bob.yaml"),
        ("rational_polynomial", "opencv_rational.yaml"),
    ])
    func openCVFileMatchesROSFile(name: String, file: String) throws {
        let entry = try #require(Self.reference.calibrations[name])
        let fromOpenCV = try Self.load(file)
        let fromROS = try Self.load(entry.ros_file)
        #expect(fromOpenCV.cameraMatrix == fromROS.cameraMatrix)
        #expect(fromOpenCV.distortion == fromROS.distortion)
        #expect(fromOpenCV.size == fromROS.size)
        let got = try fromOpenCV.undistortedNormalised(u: entry.pixels[0][0], v: entry.pixels[0][1])
        #expect(abs(got.x - entry.undistorted_normalised[0][0]) < 1e-9)
        #expect(abs(got.y - entry.undistorted_normalised[0][1]) < 1e-9)
    }

    /// project(ray(p)) == p over the image (for the strong rational lens, inside the 90% of the
    /// half-diagonal where its model is invertible), and rays are unit length.
    @Test(arguments: ["plumb_bob", "rational_polynomial", "equidistant"])
    func roundTrip(name: String) throws {
        let calibration = try Self.load(try #require(Self.reference.calibrations[name]).ros_file)
        let reach = name == "rational_polynomial" ? 0.9 : 1.0
        var worst = 0.0, tested = 0
        for v in stride(from: 0.0, through: 479, by: 11.95) {
            for u in stride(from: 0.0, through: 639, by: 15.95) {
                let offCentre = ((u - 319.5) * (u - 319.5) + (v - 239.5) * (v - 239.5)).squareRoot() / 399.5
                guard offCentre <= reach else { continue }
                tested += 1
                let ray = try calibration.ray(u: u, v: v)
                #expect(abs((ray * ray).sum() - 1) < 1e-12)
                let back = try calibration.project(ray)
                worst = max(worst, abs(back.x - u), abs(back.y - v))
            }
        }
        #expect(tested > 1000)
        #expect(worst < 1e-9, "worst round-trip error \(worst) px")
    }

    /// The principal point looks straight down the optical axis, whatever the distortion.
    @Test(arguments: ["plumb_bob", "rational_polynomial", "equidistant"])
    func principalPointIsTheAxis(name: String) throws {
        let calibration = try Self.load(try #require(Self.reference.calibrations[name]).ros_file)
        let ray = try calibration.ray(u: calibration.cx, v: calibration.cy)
        #expect(abs(ray.x) < 1e-15 && abs(ray.y) < 1e-15 && abs(ray.z - 1) < 1e-15)
    }
}
