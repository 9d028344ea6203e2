import ConfigYAML
import Foundation

/// A rigid transform T_base_camera: maps a point in the camera optical frame (x right, y down,
/// z forward) to the robot base frame, p_base = R p_camera + t.
public struct RigidTransform: Sendable, Equatable {
    /// Rows of R.
    public var rotation: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>)
    /// The camera's optical centre in the base frame, metres.
    public var translation: SIMD3<Double>
    public var parentFrame: String?
    public var childFrame: String?

    /// From the rows of R (not checked here; `parse` checks a file's matrix is a rotation).
    public init(rotation: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>), translation: SIMD3<Double>,
                parentFrame: String? = nil, childFrame: String? = nil) {
        self.rotation = rotation
        self.translation = translation
        self.parentFrame = parentFrame
        self.childFrame = childFrame
    }

    /// From a unit quaternion (x, y, z, w), the ROS/tf order.
    public init(quaternion q: SIMD4<Double>, translation: SIMD3<Double>, parentFrame: String? = nil, childFrame: String? = nil) {
        let (x, y, z, w) = (q.x, q.y, q.z, q.w)
        self.init(
            rotation: (
                SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
                SIMD3(2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
                SIMD3(2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y))
            ),
            translation: translation, parentFrame: parentFrame, childFrame: childFrame)
    }

    public static func == (a: RigidTransform, b: RigidTransform) -> Bool {
        a.rotation.0 == b.rotation.0 && a.rotation.1 == b.rotation.1 && a.rotation.2 == b.rotation.2
            && a.translation == b.translation && a.parentFrame == b.parentFrame && a.childFrame == b.childFrame
    }

    /// R v: a direction in the camera frame, expressed in the base frame.
    public func rotate(_ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3((rotation.0 * v).sum(), (rotation.1 * v).sum(), (rotation.2 * v).sum())
    }

    /// R p + t: a point in the camera frame, expressed in the base frame.
    public func apply(_ p: SIMD3<Double>) -> SIMD3<Double> { rotate(p) + translation }
}

/// A ray: origin and unit direction, in one frame.
public struct Ray: Sendable, Equatable {
    public var origin: SIMD3<Double>
    public var direction: SIMD3<Double>

    public init(origin: SIMD3<Double>, direction: SIMD3<Double>) {
        self.origin = origin
        self.direction = direction
    }
}

extension RigidTransform {
    /// Reads a base-transform file:
    ///
    /// ```yaml
    /// parent_frame: base_link               # optional, for the reader
    /// child_frame: camera_optical_frame     # optional
    /// T_base_camera:
    ///   translation: [0.10, 0.0, 0.45]      # metres, camera optical centre in the base frame
    ///   quaternion: [-0.5, 0.5, -0.5, 0.5]  # x, y, z, w   (or)  rotation: [[r00, r01, r02], [..], [..]]
    /// ```
    public static func load(path: String) throws(CalibrationError) -> RigidTransform {
        let text: String
        do throws(YAMLFileError) { text = try YAMLSource.readText(of: path) } catch { throw .file(error) }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml text: String, file: String) throws(CalibrationError) -> RigidTransform {
        do throws(YAMLFileError) {
            let root = try YAMLValue.parse(text, source: YAMLSource(file: file)).mapping()
            let parent = try root.optional("parent_frame")?.string()
            let child = try root.optional("child_frame")?.string()
            let transformValue = try root.required("T_base_camera")
            try root.finish()
            let fields = try transformValue.mapping()
            let t = try fields.required("translation").doubles(count: 3)
            let translation = SIMD3(t[0], t[1], t[2])
            let quaternionValue = fields.optional("quaternion")
            let rotationValue = fields.optional("rotation")
            try fields.finish()
            switch (quaternionValue, rotationValue) {
            case (let quaternionValue?, nil):
                let q = try quaternionValue.doubles(count: 4)
                let quaternion = SIMD4(q[0], q[1], q[2], q[3])
                let norm = (quaternion * quaternion).sum().squareRoot()
                // Written-out quaternions carry a few digits; anything further off is a mistake.
                guard abs(norm - 1) < 1e-3 else {
                    throw quaternionValue.error("a rotation quaternion [x, y, z, w] must have length 1, got \(norm)")
                }
                return RigidTransform(quaternion: quaternion / norm, translation: translation, parentFrame: parent, childFrame: child)
            case (nil, let rotationValue?):
                let rows = try rotationValue.sequence()
                guard rows.count == 3 else { throw rotationValue.error("expected 3 rows of 3 numbers, got \(rows.count) rows") }
                var matrix: [SIMD3<Double>] = []
                for row in rows {
                    let r = try row.doubles(count: 3)
                    matrix.append(SIMD3(r[0], r[1], r[2]))
                }
                if let problem = rotationProblem(matrix) { throw rotationValue.error(problem) }
                return RigidTransform(
                    rotation: (matrix[0], matrix[1], matrix[2]), translation: translation,
                    parentFrame: parent, childFrame: child)
            case (nil, nil):
                throw transformValue.error("give the rotation as quaternion: [x, y, z, w] or rotation: [[...], [...], [...]]")
            case (_?, _?):
                throw transformValue.error("give quaternion or rotation, not both")
            }
        } catch {
            throw .file(error)
        }
    }

    /// nil when R is orthonormal with determinant +1 (to 1e-6, what a file with 7 digits allows).
    private static func rotationProblem(_ r: [SIMD3<Double>]) -> String? {
        for i in 0..<3 {
            for j in 0..<3 {
                let dot = (r[i] * r[j]).sum()
                if abs(dot - (i == j ? 1 : 0)) > 1e-6 { return "the rotation matrix is not orthonormal (rows \(i) and \(j))" }
            }
        }
        let c = SIMD3(r[0].y * r[1].z - r[0].z * r[1].y, r[0].z * r[1].x - r[0].x * r[1].z, r[0].x * r[1].y - r[0].y * r[1].x)
        if (c * r[2]).sum() < 0 { return "the rotation matrix is a reflection (determinant -1)" }
        return nil
    }
}
