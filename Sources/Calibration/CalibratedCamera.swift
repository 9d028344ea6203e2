/// A calibration matched to a stream size, with the optional camera-to-base transform: what the node
/// needs to turn a detection's pixel into a ray.
public struct CalibratedCamera: Sendable, Equatable {
    public let calibration: CameraCalibration
    public let baseFromCamera: RigidTransform?

    /// Loads the calibration (and transform), and matches it to the stream size (rescaling K for a
    /// same-aspect resize, an error otherwise).
    public static func load(calibration path: String, baseTransform: String?, stream: ImageSize) throws(CalibrationError) -> CalibratedCamera {
        let calibration = try CameraCalibration.load(path: path).matching(stream: stream)
        return CalibratedCamera(calibration: calibration, baseFromCamera: try baseTransform.map { path throws(CalibrationError) in
            try RigidTransform.load(path: path)
        })
    }

    public init(calibration: CameraCalibration, baseFromCamera: RigidTransform?) {
        self.calibration = calibration
        self.baseFromCamera = baseFromCamera
    }

    /// The ray through pixel (u, v): in the base frame when a transform is given, else in the camera frame
    /// (origin 0).
    public func ray(u: Double, v: Double) throws(CalibrationError) -> Ray {
        let direction = try calibration.ray(u: u, v: v)
        guard let baseFromCamera else { return Ray(origin: .zero, direction: direction) }
        return Ray(origin: baseFromCamera.translation, direction: baseFromCamera.rotate(direction))
    }
}
