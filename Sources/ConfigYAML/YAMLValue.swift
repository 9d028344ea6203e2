public import Yams
import Foundation

/// Where a document came from: the file, and which key paths were replaced from the command line.
public struct YAMLSource: Sendable {
    public let file: String
    /// Key path -> the `--set` argument that replaced it.
    public let overrides: [String: String]

    public init(file: String, overrides: [String: String] = [:]) {
        self.file = file
        self.overrides = overrides
    }

    /// The `--set` argument that produced the value at `keyPath`, if any (the path itself or an ancestor).
    func override(covering keyPath: String) -> String? {
        var path = Substring(keyPath)
        while true {
            if let argument = overrides[String(path)] { return argument }
            guard let dot = path.lastIndex(of: ".") else { return nil }
            path = path[..<dot]
        }
    }
}

/// A node of a parsed YAML document together with its key path, so that every typed read can fail
/// with an error naming the file, line and key. Strict: a quoted "5" is a string, not a number.
public struct YAMLValue {
    public let node: Node
    public let path: [String]
    public let source: YAMLSource
    /// The line of the key this value stands under, when it has one: errors about a whole mapping or
    /// list point at its key rather than at its first entry.
    let keyLine: Int?

    public init(node: Node, path: [String] = [], source: YAMLSource, keyLine: Int? = nil) {
        self.node = node
        self.path = path
        self.source = source
        self.keyLine = keyLine
    }

    public var keyPath: String { path.joined(separator: ".") }
    public var line: Int? { keyLine ?? node.mark?.line }

    /// The `--set` argument this value came from, if it did.
    public var overrideArgument: String? { source.override(covering: keyPath) }

    public func error(_ message: String) -> YAMLFileError {
        let override = overrideArgument
        return YAMLFileError(
            file: source.file, line: override == nil ? line : nil, keyPath: keyPath,
            override: override, message: message)
    }

    /// How the value looks in the file, for "expected X, got Y" messages.
    public var shown: String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The scalar's resolved YAML tag (plain `5` -> int, `'5'` -> str).
    private var resolvedTag: String { node.tag.rawValue }

    public var isNull: Bool {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any {
            return resolvedTag == Tag.Name.null.rawValue
        }
        return false
    }

    public var isSequence: Bool { if case .sequence = node { true } else { false } }
    public var isMapping: Bool { if case .mapping = node { true } else { false } }

    // MARK: Scalars

    /// Any non-null scalar, as written (numbers included: `camera_name: 1234` is a fine name).
    public func string() throws(YAMLFileError) -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw error("expected a string, got \(shown)") }
        return scalar.string
    }

    public func int() throws(YAMLFileError) -> Int {
        guard case .scalar = node, resolvedTag == Tag.Name.int.rawValue, let value = node.int else {
            throw error("expected an integer, got \(shown)")
        }
        return value
    }

    /// An integer or a decimal number; must be finite.
    public func double() throws(YAMLFileError) -> Double {
        guard case .scalar = node, resolvedTag == Tag.Name.int.rawValue || resolvedTag == Tag.Name.float.rawValue,
              let value = node.float, value.isFinite
        else { throw error("expected a number, got \(shown)") }
        return value
    }

    public func bool() throws(YAMLFileError) -> Bool {
        guard case .scalar = node, resolvedTag == Tag.Name.bool.rawValue, let value = node.bool else {
            throw error("expected true or false, got \(shown)")
        }
        return value
    }

    /// A string that must be one of `Choice`'s raw values.
    public func choice<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) throws(YAMLFileError) -> Choice
    where Choice.RawValue == String {
        let text = try string()
        guard let value = Choice(rawValue: text) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("'\(text)' is not one of: \(allowed)")
        }
        return value
    }

    // MARK: Collections

    public func sequence() throws(YAMLFileError) -> [YAMLValue] {
        guard case .sequence(let items) = node else { throw error("expected a list, got \(shown)") }
        return items.enumerated().map { YAMLValue(node: $1, path: path + [String($0)], source: source) }
    }

    public func mapping() throws(YAMLFileError) -> YAMLMapping {
        guard case .mapping(let pairs) = node else { throw error("expected a mapping, got \(shown)") }
        return try YAMLMapping(pairs, owner: self)
    }

    /// A mapping that may hold only `known` keys, checked at once: a misspelt key is reported as
    /// unknown (at its line) before anything else, rather than as the required key it was meant to be.
    public func mapping(allowing known: [String]) throws(YAMLFileError) -> YAMLMapping {
        let fields = try mapping()
        try fields.refuseKeys(notIn: known)
        return fields
    }

    public func doubles(count: Int? = nil) throws(YAMLFileError) -> [Double] {
        let items = try sequence()
        if let count, items.count != count {
            throw error("expected \(count) numbers, got \(items.count)")
        }
        var values: [Double] = []
        for item in items { values.append(try item.double()) }
        return values
    }

    public func strings() throws(YAMLFileError) -> [String] {
        var values: [String] = []
        for item in try sequence() { values.append(try item.string()) }
        return values
    }
}

/// A mapping being read: remembers which keys were asked for so `finish()` can name any unknown key.
public final class YAMLMapping {
    public let owner: YAMLValue
    private let entries: [(key: String, keyNode: Node, value: Node)]
    private var used: Set<String> = []

    init(_ pairs: Node.Mapping, owner: YAMLValue) throws(YAMLFileError) {
        self.owner = owner
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        var seen: Set<String> = []
        for (keyNode, value) in pairs {
            let keyValue = YAMLValue(node: keyNode, path: owner.path, source: owner.source)
            guard case .scalar(let scalar) = keyNode else { throw keyValue.error("keys must be plain names") }
            guard seen.insert(scalar.string).inserted else {
                throw YAMLValue(node: keyNode, path: owner.path + [scalar.string], source: owner.source)
                    .error("key appears twice")
            }
            entries.append((scalar.string, keyNode, value))
        }
        self.entries = entries
    }

    public var keys: [String] { entries.map(\.key) }

    /// The value under `key`; nil when the key is absent or its value is null (`key:` or `key: ~`).
    public func optional(_ key: String) -> YAMLValue? {
        used.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        let value = YAMLValue(node: entry.value, path: owner.path + [key], source: owner.source, keyLine: entry.keyNode.mark?.line)
        return value.isNull ? nil : value
    }

    public func required(_ key: String) throws(YAMLFileError) -> YAMLValue {
        guard let value = optional(key) else {
            // At the line of the mapping's own key: that is where the missing key belongs.
            throw YAMLValue(node: owner.node, path: owner.path + [key], source: owner.source, keyLine: owner.line)
                .error("missing (required)")
        }
        return value
    }

    /// Fails on the first key that was never asked for, at that key's own line, listing the known keys.
    public func finish() throws(YAMLFileError) {
        try refuseKeys(notIn: used)
    }

    func refuseKeys(notIn known: some Collection<String>) throws(YAMLFileError) {
        guard let unknown = entries.first(where: { !known.contains($0.key) }) else { return }
        throw YAMLValue(node: unknown.keyNode, path: owner.path + [unknown.key], source: owner.source)
            .error("unknown key (known here: \(known.sorted().joined(separator: ", ")))")
    }
}

extension YAMLValue {
    /// Parses `text` (already read from `source.file`) and returns its root, failing with the parser's line.
    public static func parse(_ text: String, source: YAMLSource) throws(YAMLFileError) -> YAMLValue {
        let depth = YAMLNesting.depth(of: text)
        guard depth <= YAMLNesting.maximumDepth else {
            throw YAMLFileError(file: source.file, line: nil, keyPath: "",
                                message: "nested about \(depth) levels deep; at most \(YAMLNesting.maximumDepth) are accepted")
        }
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw YAMLFileError(file: source.file, line: nil, keyPath: "", message: "the file is empty")
            }
            return YAMLValue(node: root, source: source)
        } catch let error as YAMLFileError {
            throw error
        } catch let error as YamlError {
            throw YAMLFileError(file: source.file, line: error.line, keyPath: "", message: "not valid YAML: \(error.problem)")
        } catch {
            throw YAMLFileError(file: source.file, line: nil, keyPath: "", message: "not valid YAML: \(error)")
        }
    }
}

extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: nil
        }
    }

    var problem: String {
        switch self {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            context.map { "\(problem) (\($0.text))" } ?? problem
        case .reader(let problem, _, _, _): problem
        case .duplicatedKeysInMapping(let duplicates, _): "duplicate keys \(duplicates.joined(separator: ", "))"
        default: "\(self)"
        }
    }
}

extension YAMLSource {
    /// Reads the file as UTF-8 text, failing with an error naming it.
    public static func readText(of file: String) throws(YAMLFileError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw YAMLFileError(file: file, line: nil, keyPath: "", message: "cannot read the file (missing or unreadable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw YAMLFileError(file: file, line: nil, keyPath: "", message: "the file is not UTF-8 text")
        }
        return text
    }
}
