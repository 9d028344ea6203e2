import Foundation

/// A JSON Schema compiled for constrained generation: every byte string its matcher accepts
/// to completion is compact JSON that validates against the schema. See
/// `JSONSchemaCompiler` for the subset and the output form.
public struct JSONSchema: Sendable {
    public let grammar: JSONGrammar

    /// Compiles the JSON text of a schema; a schema outside the subset throws with the
    /// keyword and its JSON pointer.
    public init(json: [UInt8]) throws(JSONSchemaError) {
        grammar = try JSONSchemaCompiler.compile(try JSONParser.parse(json))
    }

    public init(json: String) throws(JSONSchemaError) { try self.init(json: Array(json.utf8)) }

    public init(_ value: JSONValue) throws(JSONSchemaError) {
        grammar = try JSONSchemaCompiler.compile(value)
    }

    /// A matcher at the start of a document.
    public func matcher() -> JSONMatcher { JSONMatcher(grammar: grammar) }
}

/// Where a document stands, byte by byte: which bytes may come next, whether it may end.
public struct JSONMatcher: Sendable {
    let automaton: JSONAutomaton
    /// The stack of frames, bottom first.
    private(set) var frames: [JSONFrame]

    init(grammar: JSONGrammar) {
        automaton = JSONAutomaton(grammar: grammar)
        frames = [automaton.startFrame(grammar.root)]
    }

    /// Feeds bytes; false (and the matcher unchanged) when they cannot come next.
    @discardableResult
    public mutating func feed<S: Sequence<UInt8>>(_ bytes: S) -> Bool {
        var stack = frames + repeatElement(JSONFrame(node: 0), count: automaton.grammar.maxDepth - frames.count)
        var count = frames.count
        let ok = stack.withUnsafeMutableBufferPointer { buffer in
            for b in bytes where !automaton.feed(buffer.baseAddress!, &count, b) { return false }
            return true
        }
        if ok { frames = Array(stack.prefix(count)) }
        return ok
    }

    public mutating func feed(_ text: String) -> Bool { feed(text.utf8) }

    /// The document could end here.
    public var isAccepting: Bool {
        frames.isEmpty || frames.withUnsafeBufferPointer { automaton.isAccepting($0.baseAddress!, $0.count) }
    }

    /// The document is complete and nothing may follow.
    public var isComplete: Bool { frames.isEmpty }

    /// Every bytes sequence in `text` fed whole: whether the text is a complete document.
    public func accepts(_ text: String) -> Bool {
        var copy = self
        return copy.feed(text.utf8) && copy.isAccepting
    }
}
