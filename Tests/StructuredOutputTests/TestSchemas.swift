import Foundation

/// Schemas the tests generate against (Tests/Fixtures/structured/schemas), each bounded
/// (strings, arrays, numbers) so every random walk ends. Read as text: property order matters.
enum TestSchemas {
    static func text(_ name: String) -> String {
        let url = Fixtures.structured.appendingPathComponent("schemas/\(name).json")
        // A missing file reads as "", which the tests then report as a schema that is not JSON.
        return FileManager.default.contents(atPath: url.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static let taskIntent = text("taskIntent")
    static let everything = text("everything")
    static let topLevelInteger = text("topLevelInteger")
    static let topLevelNumber = text("topLevelNumber")
    static let topLevelArray = text("topLevelArray")
    static let unicodeString = text("unicodeString")

    static let all: [(name: String, schema: String)] = [
        ("taskIntent", taskIntent), ("everything", everything), ("topLevelInteger", topLevelInteger),
        ("topLevelNumber", topLevelNumber), ("topLevelArray", topLevelArray), ("unicodeString", unicodeString),
    ]
}

enum Fixtures {
    static let lm = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lm")
    static func path(_ relative: String) -> String { lm.appendingPathComponent(relative).path }
    static let structured = lm.deletingLastPathComponent().appendingPathComponent("structured")

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
