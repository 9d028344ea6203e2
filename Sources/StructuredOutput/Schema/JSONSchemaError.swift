import Foundation

/// Why a schema cannot be used for constrained generation. Paths are JSON pointers into the
/// schema document (RFC 6901, "" for the root).
public enum JSONSchemaError: Error, Equatable, CustomStringConvertible {
    /// The file is not JSON.
    case invalidJSON(offset: Int, reason: String)
    /// A keyword outside the supported subset.
    case unsupportedKeyword(String, path: String)
    /// A supported keyword with a value this compiler cannot honour or that makes no sense.
    case invalidSchema(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidJSON(let offset, let reason): "the schema is not valid JSON at byte \(offset): \(reason)"
        case .unsupportedKeyword(let keyword, let path):
            "unsupported schema keyword \"\(keyword)\" at \(Self.display(path)) (supported: \(JSONSchemaCompiler.supportedSummary))"
        case .invalidSchema(let path, let reason): "schema at \(Self.display(path)): \(reason)"
        }
    }

    static func display(_ path: String) -> String { path.isEmpty ? "/ (the root)" : path }
}

/// RFC 6901 pointer building: "~" and "/" in a key are escaped.
func pointer(_ path: String, _ key: String) -> String {
    path + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
}

func pointer(_ path: String, _ index: Int) -> String { path + "/\(index)" }
