import Calibration
import ConfigYAML
import Foundation
import Imaging
import TestSupport
import Testing

/// The shipped example, stream-size matching, and clear errors for malformed files.
@Suite struct CalibrationFileTests {
    static let examplePath = RepositoryPaths.root.appendingPathComponent("Calibration/example-640x480.yaml").path
    static let exampleText = try! String(contentsOfFile: examplePath, encoding: .utf8)

    @Test func shippedExampleLoads() throws {
        let calibration = try CameraCalibration.load(path: Self.examplePath)
        #expect(calibration.size == ImageSize(width: 640, height: 480))
        #expect(calibration.distortion.model == .plumbBob)
        #expect([calibration.fx, calibration.fy, calibration.cx, calibration.cy] == [624.8, 625.6, 318.3, 236.9])
        #expect(calibration.projection[0] == 618.4)
    }

    // MARK: Stream size

    @Test func sameSizeIsUnchanged() throws {
        let calibration = try CameraCalibration.load(path: Self.examplePath)
        #expect(try calibration.matching(stream: ImageSize(width: 640, height: 480)) == calibration)
    }

    /// Known values, pixel centres at integers: f scales by s, c maps as (c + 0.5) s - 0.5.
    @Test func halfAndDoubleSizeRescaleK() throws {
        let calibration = try CameraCalibration.load(path: Self.examplePath)
        let half = try calibration.matching(stream: ImageSize(width: 320, height: 240))
        #expect(half.size == ImageSize(width: 320, height: 240))
        expectClose([half.fx, half.fy, half.cx, half.cy], [312.4, 312.8, 158.9, 118.2])
        expectClose([half.projection[0], half.projection[2], half.projection[5], half.projection[6]], [309.2, 159.2, 310.6, 117.8])
        let double = try calibration.matching(stream: ImageSize(width: 1280, height: 960))
        expectClose([double.fx, double.fy, double.cx, double.cy], [1249.6, 1251.2, 637.1, 474.3])
        #expect(double.distortion == calibration.distortion)
    }

    /// The same scene point seen in the full and the half-size image gives the same ray.
    @Test func rescaledRaysAgree() throws {
        let full = try CameraCalibration.load(path: Self.examplePath)
        let half = try full.matching(stream: ImageSize(width: 320, height: 240))
        for (u, v) in [(0.0, 0.0), (100.5, 37.0), (639.0, 479.0), (318.3, 236.9)] {
            let a = try full.ray(u: u, v: v)
            let b = try half.ray(u: (u + 0.5) / 2 - 0.5, v: (v + 0.5) / 2 - 0.5)
            #expect(abs(a.x - b.x) < 1e-12 && abs(a.y - b.y) < 1e-12 && abs(a.z - b.z) < 1e-12)
        }
    }

    @Test(arguments: [(640, 360), (641, 480), (1280, 720), (0, 0)])
    func otherSizesAreRefusedNamingBoth(width: Int, height: Int) throws {
        let calibration = try CameraCalibration.load(path: Self.examplePath)
        let error = #expect(throws: CalibrationError.self) {
            try calibration.matching(stream: ImageSize(width: width, height: height))
        }
        let text = error?.description ?? ""
        #expect(text.contains("640x480") && text.contains("\(width)x\(height)") && text.contains("example-640x480.yaml"), "\(text)")
    }

    // MARK: Malformed files

    /// Parses the example with one edit; returns the file error it must raise.
    func fileError(_ edit: (String) -> String) -> YAMLFileError? {
        let edited = edit(Self.exampleText)
        #expect(edited != Self.exampleText, "the edit must change the file")
        do {
            _ = try CameraCalibration.parse(yaml: edited, file: "bad.yaml")
            Issue.record("parsed without an error")
        } catch CalibrationError.file(let error) {
            #expect(error.file == "bad.yaml")
            #expect(error.description.hasPrefix("bad.yaml"))
            return error
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    @Test func missingKeyIsNamed() {
        let error = fileError { $0.replacingOccurrences(of: "image_height: 480\n", with: "") }
        #expect(error?.keyPath == "image_height")
        #expect(error?.message.contains("missing") == true)
    }

    @Test func missingDistortionIsNamed() {
        let error = fileError { $0.replacingOccurrences(of: "distortion_coefficients:", with: "distortion_coefs:") }
        #expect(error?.keyPath == "distortion_coefficients")
    }

    @Test func wrongMatrixSizeIsNamedAtItsLine() {
        let error = fileError {
            $0.replacingOccurrences(of: "  rows: 3\n  cols: 3\n  data: [624.8, 0.0, 318.3, 0.0, 625.6, 236.9, 0.0, 0.0, 1.0]",
                                    with: "  rows: 2\n  cols: 3\n  data: [624.8, 0.0, 318.3, 0.0, 625.6, 236.9]")
        }
        #expect(error?.keyPath == "camera_matrix")
        #expect(error?.line == 7)
        #expect(error?.message == "expected a 3x3 matrix, got 2x3")
    }

    @Test func dataCountMismatchIsNamed() {
        let error = fileError { $0.replacingOccurrences(of: "[0.0904, -0.2263, -0.0012, 0.0008, 0.1147]", with: "[0.0904, -0.2263, -0.0012, 0.0008]") }
        #expect(error?.keyPath == "distortion_coefficients.data")
        #expect(error?.line == 15)
    }

    @Test func unknownDistortionModelListsTheKnownOnes() {
        let error = fileError { $0.replacingOccurrences(of: "distortion_model: plumb_bob", with: "distortion_model: kannala_brandt") }
        #expect(error?.keyPath == "distortion_model")
        #expect(error?.line == 11)
        #expect(error?.message == "'kannala_brandt' is not one of: plumb_bob, rational_polynomial, equidistant")
    }

    @Test func coefficientCountMustFitTheModel() {
        let error = fileError { $0.replacingOccurrences(of: "distortion_model: plumb_bob", with: "distortion_model: equidistant") }
        #expect(error?.keyPath == "distortion_coefficients")
        #expect(error?.message == "equidistant needs 4 coefficients, got 5")
    }

    @Test func nonNumberIsNamedByIndex() {
        let error = fileError { $0.replacingOccurrences(of: "[624.8, 0.0, 318.3,", with: "[624.8, 0.0, centre,") }
        #expect(error?.keyPath == "camera_matrix.data.2")
        #expect(error?.message == "expected a number, got 'centre'")
    }

    @Test func negativeFocalLengthIsRefused() {
        let error = fileError { $0.replacingOccurrences(of: "[624.8, 0.0, 318.3,", with: "[-624.8, 0.0, 318.3,") }
        #expect(error?.keyPath == "camera_matrix")
    }

    @Test func brokenYAMLGivesItsLine() {
        let error = fileError { $0.replacingOccurrences(of: "image_height: 480", with: "image_height: [480") }
        #expect(error?.line != nil)
        #expect(error?.message.hasPrefix("not valid YAML") == true)
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: CalibrationError.self) { try CameraCalibration.load(path: "/nonexistent/cal.yaml") }
        #expect(error?.description == "/nonexistent/cal.yaml: cannot read the file (missing or unreadable)")
    }

    /// Random edits of a valid file: every outcome is a calibration or a CalibrationError, never a crash.
    @Test func fuzzedFilesNeverCrash() {
        var generator = SplitMix64(seed: 6)
        let alphabet = "[]{}:,-.0123456789 \n\tabc!%&*'\"#"
        var refused = 0
        for mutated in randomlyEditedCopies(of: Self.exampleText, alphabet: alphabet, count: 2000, using: &generator) {
            do {
                _ = try CameraCalibration.parse(yaml: mutated, file: "fuzz.yaml")
            } catch {
                refused += 1
                #expect(error.description.contains("fuzz.yaml"))
            }
        }
        #expect(refused > 100)
    }
}

func expectClose(_ got: [Double], _ expected: [Double], tolerance: Double = 1e-9,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == expected.count, sourceLocation: sourceLocation)
    for (a, b) in zip(got, expected) {
        #expect(abs(a - b) <= tolerance, "\(got) != \(expected)", sourceLocation: sourceLocation)
    }
}
