import Calibration
import ConfigYAML
import Foundation
import TestSupport
import Testing

/// The camera-to-base transform file and rays in the base frame.
@Suite struct BaseTransformTests {
    static let examplePath = RepositoryPaths.root.appendingPathComponent("Calibration/example-base-transform.yaml").path

    /// The ROS optical-frame quaternion (-0.5, 0.5, -0.5, 0.5) is the camera looking along base +x with
    /// image right = base -y and image down = base -z: R = [[0,0,1],[-1,0,0],[0,-1,0]].
    @Test func exampleQuaternionIsTheForwardLookingCamera() throws {
        let transform = try RigidTransform.load(path: Self.examplePath)
        expectClose(transform.rotate(SIMD3(0, 0, 1)), [1, 0, 0], tolerance: 1e-15)
        expectClose(transform.rotate(SIMD3(1, 0, 0)), [0, -1, 0], tolerance: 1e-15)
        expectClose(transform.rotate(SIMD3(0, 1, 0)), [0, 0, -1], tolerance: 1e-15)
        expectClose(transform.translation, [0.10, 0.0, 0.45])
        #expect(transform.parentFrame == "base_link")
    }

    @Test func matrixFormGivesTheSameTransform() throws {
        let text = """
            T_base_camera:
              translation: [0.10, 0.0, 0.45]
              rotation: [[0, 0, 1], [-1, 0, 0], [0, -1, 0]]
            """
        let fromMatrix = try RigidTransform.parse(yaml: text, file: "m.yaml")
        let fromQuaternion = try RigidTransform.load(path: Self.examplePath)
        for v in [SIMD3(0.3, -0.2, 1.0), SIMD3(1.0, 2.0, -3.0)] {
            expectClose(fromMatrix.apply(v), fromQuaternion.apply(v), tolerance: 1e-15)
        }
    }

    /// The principal point's ray from a camera 45 cm up looking ahead starts at the camera and points
    /// along base +x; a pixel below the centre points down (base -z).
    @Test func raysInTheBaseFrame() throws {
        let camera = try CalibratedCamera.load(
            calibration: CalibrationFileTests.examplePath, baseTransform: Self.examplePath,
            stream: ImageSize(width: 320, height: 240))
        let calibration = camera.calibration
        let ahead = try camera.ray(u: calibration.cx, v: calibration.cy)
        expectClose(ahead.origin, [0.10, 0.0, 0.45])
        expectClose(ahead.direction, [1, 0, 0], tolerance: 1e-15)
        let below = try camera.ray(u: calibration.cx, v: 239)
        #expect(below.direction.z < -0.1 && abs(below.direction.y) < 1e-3)
        let cameraOnly = try CalibratedCamera.load(
            calibration: CalibrationFileTests.examplePath, baseTransform: nil, stream: ImageSize(width: 640, height: 480))
        #expect(try cameraOnly.ray(u: 318.3, v: 236.9) == Ray(origin: .zero, direction: SIMD3(0, 0, 1)))
    }

    @Test(arguments: [
        ("T_base_camera:\n  translation: [0, 0, 0]\n  quaternion: [0, 0, 0, 2]\n", "T_base_camera.quaternion", "length 1"),
        ("T_base_camera:\n  translation: [0, 0, 0]\n  rotation: [[1, 0, 0], [0, 1, 0], [0, 0, -1]]\n", "T_base_camera.rotation", "reflection"),
        ("T_base_camera:\n  translation: [0, 0, 0]\n  rotation: [[1, 0.1, 0], [0, 1, 0], [0, 0, 1]]\n", "T_base_camera.rotation", "orthonormal"),
        ("T_base_camera:\n  translation: [0, 0]\n  quaternion: [0, 0, 0, 1]\n", "T_base_camera.translation", "expected 3 numbers"),
        ("T_base_camera:\n  translation: [0, 0, 0]\n", "T_base_camera", "give the rotation"),
        ("T_base_camera:\n  translation: [0, 0, 0]\n  quaternion: [0, 0, 0, 1]\n  scale: 2\n", "T_base_camera.scale", "unknown key"),
        ("translation: [0, 0, 0]\n", "T_base_camera", "missing"),
    ])
    func badTransformsAreNamed(text: String, keyPath: String, message: String) {
        do {
            _ = try RigidTransform.parse(yaml: text, file: "t.yaml")
            Issue.record("accepted \(text)")
        } catch CalibrationError.file(let error) {
            #expect(error.keyPath == keyPath)
            #expect(error.message.contains(message), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

func expectClose(_ got: SIMD3<Double>, _ expected: [Double], tolerance: Double = 1e-9,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([got.x, got.y, got.z], expected, tolerance: tolerance, sourceLocation: sourceLocation)
}

func expectClose(_ got: SIMD3<Double>, _ expected: SIMD3<Double>, tolerance: Double = 1e-9,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose([got.x, got.y, got.z], [expected.x, expected.y, expected.z], tolerance: tolerance, sourceLocation: sourceLocation)
}
