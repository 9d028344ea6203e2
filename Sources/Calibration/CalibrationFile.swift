import ConfigYAML
import Foundation

extension CameraCalibration {
    /// Reads a ROS `camera_info` YAML (as written by camera_calibration / camera_info_manager) or an
    /// OpenCV FileStorage YAML (`%YAML:1.0`, `!!opencv-matrix`, as written by OpenCV's calibration samples).
    public static func load(path: String) throws(CalibrationError) -> CameraCalibration {
        let text: String
        do throws(YAMLFileError) { text = try YAMLSource.readText(of: path) } catch { throw .file(error) }
        return try parse(yaml: text, file: path)
    }

    /// Parses calibration text; `file` names it in errors.
    ///
    /// Keys (extra keys are ignored: the calibration tools write many): `image_width`, `image_height`,
    /// `camera_matrix` (3x3), `distortion_coefficients` (OpenCV also `dist_coeffs`), `distortion_model`
    /// (optional in OpenCV files: inferred from the coefficient count, or `fisheye_model: 1`),
    /// `camera_name`, `rectification_matrix` (3x3) and `projection_matrix` (3x4), both optional.
    public static func parse(yaml text: String, file: String) throws(CalibrationError) -> CameraCalibration {
        do throws(YAMLFileError) {
            let root = try YAMLValue.parse(OpenCVYAML.makeParsable(text), source: YAMLSource(file: file))
            let fields = try root.mapping()
            let widthValue = try fields.required("image_width")
            let width = try widthValue.int()
            let height = try fields.required("image_height").int()
            guard width > 0, height > 0 else {
                throw widthValue.error("image size must be positive, got \(width)x\(height)")
            }
            let cameraName = try fields.optional("camera_name")?.string()
            let cameraMatrixValue = try fields.required("camera_matrix")
            let cameraMatrix = try matrix(cameraMatrixValue, rows: 3, columns: 3)
            try checkCameraMatrix(cameraMatrix, at: cameraMatrixValue)

            let coefficientsValue = if let openCVName = fields.optional("dist_coeffs") {
                openCVName
            } else {
                try fields.required("distortion_coefficients")
            }
            let coefficients = try vector(coefficientsValue)
            let model = try distortionModel(fields, coefficientCount: coefficients.count)
            let distortion: Distortion
            switch Distortion.make(model: model, coefficients: coefficients) {
            case .success(let made): distortion = made
            case .failure(let problem): throw coefficientsValue.error(problem.message)
            }
            let rectification = try fields.optional("rectification_matrix").map { value throws(YAMLFileError) in
                try matrix(value, rows: 3, columns: 3)
            }
            let projection = try fields.optional("projection_matrix").map { value throws(YAMLFileError) in
                try matrix(value, rows: 3, columns: 4)
            }
            return CameraCalibration(
                file: file, cameraName: cameraName, size: ImageSize(width: width, height: height),
                cameraMatrix: cameraMatrix, distortion: distortion,
                rectification: rectification, projection: projection)
        } catch {
            throw .file(error)
        }
    }

    private static func distortionModel(_ fields: YAMLMapping, coefficientCount: Int) throws(YAMLFileError) -> DistortionModel {
        if let named = fields.optional("distortion_model") {
            return try named.choice(DistortionModel.self)
        }
        if let fisheye = fields.optional("fisheye_model"), try fisheye.int() != 0 {
            return .equidistant
        }
        // OpenCV files carry no model name: OpenCV's own reading of the coefficient count.
        return coefficientCount <= 5 ? .plumbBob : .rationalPolynomial
    }

    /// `{rows, cols, data}` (ROS) or `!!opencv-matrix {rows, cols, dt, data}` of the given shape, row-major.
    static func matrix(_ value: YAMLValue, rows: Int, columns: Int) throws(YAMLFileError) -> [Double] {
        let (data, shape) = try matrixData(value)
        guard shape == (rows, columns) else {
            throw value.error("expected a \(rows)x\(columns) matrix, got \(shape.0)x\(shape.1)")
        }
        return data
    }

    /// A row or column vector (OpenCV writes distortion as 1xN or Nx1; ROS as 1xN); a plain list is accepted too.
    static func vector(_ value: YAMLValue) throws(YAMLFileError) -> [Double] {
        if value.isSequence { return try value.doubles() }
        let (data, shape) = try matrixData(value)
        guard shape.0 == 1 || shape.1 == 1 else {
            throw value.error("expected a 1xN or Nx1 matrix, got \(shape.0)x\(shape.1)")
        }
        return data
    }

    private static func matrixData(_ value: YAMLValue) throws(YAMLFileError) -> ([Double], (Int, Int)) {
        let fields = try value.mapping()
        let rowsValue = try fields.required("rows")
        let rows = try rowsValue.int(), columns = try fields.required("cols").int()
        guard rows > 0, columns > 0 else { throw rowsValue.error("rows and cols must be positive") }
        if let type = fields.optional("dt") {
            // OpenCV element types: d (double), f (float); integer matrices make no sense here.
            guard ["d", "f"].contains(try type.string()) else {
                throw type.error("expected element type d or f, got \(type.shown)")
            }
        }
        let dataValue = try fields.required("data")
        let data = try dataValue.doubles()
        guard data.count == rows * columns else {
            throw dataValue.error("rows x cols is \(rows)x\(columns) = \(rows * columns) but data has \(data.count) numbers")
        }
        return (data, (rows, columns))
    }

    private static func checkCameraMatrix(_ k: [Double], at value: YAMLValue) throws(YAMLFileError) {
        guard k[0] > 0, k[4] > 0 else {
            throw value.error("fx and fy must be positive, got \(k[0]) and \(k[4])")
        }
        guard k[3] == 0, k[6] == 0, k[7] == 0, k[8] == 1 else {
            throw value.error("expected the form [fx, s, cx, 0, fy, cy, 0, 0, 1], got \(k)")
        }
    }
}

/// OpenCV's FileStorage writes YAML 1.0 that libyaml refuses: a `%YAML:1.0` directive (with a colon).
/// Its `!!opencv-matrix` tag is a valid YAML tag and is left alone (matrices are recognised by shape).
enum OpenCVYAML {
    /// Comments out a leading `%YAML:1.x` directive line, keeping the line count so errors still point
    /// at the right line.
    static func makeParsable(_ text: String) -> String {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        guard body.hasPrefix("%YAML:") else { return String(body) }
        return "#" + body
    }
}
