import Foundation

/// The JSON Schema the interpreter's output is constrained to, built from the
/// launch file's action vocabulary, so whatever the model writes parses into
/// an `InterpretedTask` with a known action.
public enum TaskSchema {
    /// Longest noun phrase: enough for "the small blue ball on the left", short
    /// enough that CLIP's 77-token context and the decode budget are never at risk.
    public static let phraseMaxLength = 48
    public static let maxAttributes = 3

    /// The schema text. Properties are written in the order the model should
    /// produce them (action first, then what to find), which the constrained
    /// decoder follows.
    public static func json(actions: [String]) -> String {
        let encoder = JSONEncoder()
        let names = String(decoding: try! encoder.encode(actions), as: UTF8.self)
        let phrase = #"{"type":"string","maxLength":\#(phraseMaxLength)}"#
        return #"""
        {"type":"object","properties":{"action":{"enum":\#(names)},"target":\#(phrase),"destination":\#(phrase),"attributes":{"type":"array","items":{"type":"string","maxLength":24},"maxItems":\#(maxAttributes)}},"required":["action","target"]}
        """#
    }
}
