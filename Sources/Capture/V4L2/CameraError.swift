/// Everything that can go wrong with a camera, each naming the device.
public enum CameraError: Error, Equatable, CustomStringConvertible {
    case openFailed(path: String, errno: Int32)
    case notACaptureDevice(path: String)
    case ioctlFailed(path: String, request: V4L2Request, errno: Int32)
    case mmapFailed(path: String, buffer: Int)
    case unsupportedFormat(path: String, String)
    case unknownControl(path: String, name: String, available: [String])
    case invalidControlValue(path: String, name: String, String)
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .openFailed(let path, let code):
            return "cannot open camera \(path): \(errnoDescription(code))"
        case .notACaptureDevice(let path):
            return "\(path) is not a video capture device (it may be a metadata node; try the next /dev/video number)"
        case .ioctlFailed(let path, let request, let code):
            return "\(request.rawValue) on \(path) failed: \(errnoDescription(code))"
        case .mmapFailed(let path, let buffer):
            return "cannot map buffer \(buffer) of \(path)"
        case .unsupportedFormat(let path, let detail):
            return "\(path): \(detail)"
        case .unknownControl(let path, let name, let available):
            return "\(path) has no control '\(name)'; it has: \(available.joined(separator: ", "))"
        case .invalidControlValue(let path, let name, let detail):
            return "\(path): control '\(name)': \(detail)"
        case .invalidRequest(let detail):
            return detail
        }
    }
}
