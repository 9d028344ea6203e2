/// A problem in a YAML file (or in a `--set` override of one), located by file, line and key path.
///
/// The description reads `FILE:LINE: KEY: message`, or `--set KEY=VALUE: KEY: message (in FILE)` when the
/// offending value came from the command line, so the user can go straight to what needs fixing.
public struct YAMLFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the value was read from.
    public let file: String
    /// 1-based line of the offending node; nil when the problem is the whole file (unreadable, empty).
    public let line: Int?
    /// Dotted key path from the document root, e.g. `source.v4l2.width` or `scene.vocabulary.2`; "" for the root.
    public let keyPath: String
    /// The `--set` argument the value came from, when it did.
    public let override: String?
    public let message: String

    public init(file: String, line: Int?, keyPath: String, override: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.override = override
        self.message = message
    }

    public var description: String {
        let key = keyPath.isEmpty ? "" : "\(keyPath): "
        if let override {
            return "--set \(override): \(key)\(message) (in \(file))"
        }
        let location = line.map { "\(file):\($0)" } ?? file
        return "\(location): \(key)\(message)"
    }
}
