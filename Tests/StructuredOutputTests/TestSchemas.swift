import Foundation

/// Schemas the tests generate against, each bounded (strings, arrays, numbers) so every
/// random walk ends.
enum TestSchemas {
    static let taskIntent = """
        {"type": "object",
         "properties": {
           "action": {"enum": ["pick", "place", "go_to", "stop"]},
           "target": {"type": "string", "maxLength": 40}},
         "required": ["action", "target"],
         "additionalProperties": false}
        """

    static let everything = """
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "all keywords",
         "type": "object",
         "properties": {
           "id": {"type": "integer", "minimum": -50, "maximum": 1234},
           "name": {"type": "string", "minLength": 2, "maxLength": 6},
           "score": {"type": "number"},
           "ok": {"type": "boolean"},
           "nothing": {"type": "null"},
           "tags": {"type": "array", "items": {"type": "string", "maxLength": 4}, "minItems": 1, "maxItems": 3},
           "pose": {"type": "object",
                    "properties": {"x": {"type": "number"}, "y": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}},
                    "required": ["y"]},
           "either": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "integer", "minimum": 0, "maximum": 99}, {"type": "null"}]},
           "mixed": {"enum": [1, 12, "x", true, null, {"a": [1, 2]}]},
           "fixed": {"const": "v1"},
           "maybe": {"type": ["string", "null"], "maxLength": 3},
           "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer", "minimum": 7, "maximum": 7}, "maxItems": 2}, "maxItems": 2}
         },
         "required": ["id", "name", "tags", "pose", "fixed"]}
        """

    static let topLevelInteger = #"{"type": "integer", "minimum": -120, "maximum": 305}"#
    static let topLevelNumber = #"{"type": "number"}"#
    static let topLevelArray = #"{"type": "array", "items": {"enum": ["a", "ab", "abc"]}, "maxItems": 4}"#
    static let unicodeString = #"{"type": "string", "minLength": 1, "maxLength": 12}"#

    static let all: [(name: String, schema: String)] = [
        ("taskIntent", taskIntent), ("everything", everything), ("topLevelInteger", topLevelInteger),
        ("topLevelNumber", topLevelNumber), ("topLevelArray", topLevelArray), ("unicodeString", unicodeString),
    ]
}

enum Fixtures {
    static let lm = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lm")
    static func path(_ relative: String) -> String { lm.appendingPathComponent(relative).path }

    static let qwenPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
    static var hasQwen: Bool { FileManager.default.fileExists(atPath: qwenPath) }

    static var isOptimizedBuild: Bool {
        #if DEBUG
        false
        #else
        true
        #endif
    }
}
