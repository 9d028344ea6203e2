public import ConfigYAML

/// Why a launch file cannot be used. Every case names what to fix: the file, line and key; the `--set`
/// argument; or the missing files with the keys that name them.
public enum LaunchError: Error, Sendable, Equatable, CustomStringConvertible {
    case file(YAMLFileError)
    case override(argument: String, message: String)
    /// (key path, resolved path) of each file or folder that does not exist.
    case missingFiles(launchFile: String, [MissingFile])

    public struct MissingFile: Sendable, Equatable {
        public let keyPath: String
        public let path: String
    }

    public var description: String {
        switch self {
        case .file(let error):
            return error.description
        case .override(let argument, let message):
            return "--set \(argument): \(message)"
        case .missingFiles(let launchFile, let missing):
            let list = missing.map { "\($0.keyPath): \($0.path)" }.joined(separator: "; ")
            return "\(launchFile): \(missing.count == 1 ? "a file named here does" : "files named here do") not exist: \(list)"
        }
    }
}
