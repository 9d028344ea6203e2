import ConfigYAML
import Yams

/// A `--set key.path=value` override: the value is parsed as YAML (a scalar, or a flow list/mapping
/// such as `[cup, bottle]`), and replaces the key before the file is validated, so an override is
/// checked exactly like the file. List items are addressed by index: `scene.vocabulary.0=mug`.
public struct LaunchOverride: Sendable, Equatable {
    public let argument: String
    public let keyPath: [String]
    public let valueText: String

    public init(_ argument: String) throws(LaunchError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw .override(argument: argument, message: "expected key.path=value")
        }
        let key = argument[..<equals]
        // Launch keys are a few levels of short names; a longer path is a mistake or an attack
        // (and `put` walks it one level per call).
        guard key.utf8.count <= Self.maximumKeyLength else {
            throw .override(argument: String(argument.prefix(80)) + "…", message: "the key is longer than \(Self.maximumKeyLength) bytes")
        }
        let components = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, !components.contains(where: \.isEmpty) else {
            throw .override(argument: argument, message: "'\(key)' is not a key path like models.threads")
        }
        guard components.count <= Self.maximumDepth else {
            throw .override(argument: String(argument.prefix(80)) + "…", message: "the key path has \(components.count) levels; at most \(Self.maximumDepth)")
        }
        self.argument = argument
        self.keyPath = components
        self.valueText = String(argument[argument.index(after: equals)...])
    }

    /// Longest key path accepted, in levels and in bytes.
    public static let maximumDepth = 16
    public static let maximumKeyLength = 256

    var dottedPath: String { keyPath.joined(separator: ".") }

    /// The value as a YAML node; an empty value is null (which resets an optional key to its default).
    func valueNode() throws(LaunchError) -> Node {
        guard YAMLNesting.depth(of: valueText) <= YAMLNesting.maximumDepth else {
            throw .override(argument: String(argument.prefix(80)) + "…", message: "the value nests more than \(YAMLNesting.maximumDepth) levels")
        }
        do {
            return try Yams.compose(yaml: valueText) ?? Node("", Tag(.null), .plain)
        } catch {
            throw .override(argument: argument, message: "the value is not a YAML scalar, [list] or {mapping}")
        }
    }

    /// Returns `root` with the value put at the key path, creating missing mappings on the way; records
    /// every created or replaced path (so errors there name the override, not a line of the file).
    func apply(to root: Node, recording paths: inout [String: String]) throws(LaunchError) -> Node {
        let value = try valueNode()
        paths[dottedPath] = argument
        return try put(value, at: keyPath[...], in: root, walked: [], recording: &paths)
    }

    private func put(_ value: Node, at path: ArraySlice<String>, in node: Node, walked: [String],
                     recording paths: inout [String: String]) throws(LaunchError) -> Node {
        guard let key = path.first else { return value }
        let here = walked + [key]
        switch node {
        case .mapping(let mapping):
            var pairs = mapping.map { ($0.key, $0.value) }
            if let index = pairs.firstIndex(where: { $0.0.scalar?.string == key }) {
                pairs[index].1 = try put(value, at: path.dropFirst(), in: pairs[index].1, walked: here, recording: &paths)
            } else {
                if path.count > 1 { paths[here.joined(separator: ".")] = argument }
                let empty = Node.mapping(Node.Mapping([]))
                pairs.append((Node(key), try put(value, at: path.dropFirst(), in: empty, walked: here, recording: &paths)))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(var sequence):
            guard let index = Int(key), sequence.indices.contains(index) else {
                let shown = walked.isEmpty ? "the document" : walked.joined(separator: ".")
                throw .override(argument: argument, message: "\(shown) is a list of \(sequence.count); '\(key)' is not an index in it")
            }
            sequence[index] = try put(value, at: path.dropFirst(), in: sequence[index], walked: here, recording: &paths)
            return .sequence(sequence)
        case .scalar(let scalar) where scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null":
            // `section:` with nothing under it: an empty mapping to fill in.
            return try put(value, at: path, in: .mapping(Node.Mapping([])), walked: walked, recording: &paths)
        case .scalar, .alias:
            let shown = walked.joined(separator: ".")
            throw .override(argument: argument, message: "\(shown) is a single value, it has no key '\(key)'")
        }
    }
}
