import Foundation
import TestSupport

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
    static let lm = RepositoryPaths.fixtures.appendingPathComponent("lm")
    static func path(_ relative: String) -> String { lm.appendingPathComponent(relative).path }
    static let structured = RepositoryPaths.fixtures.appendingPathComponent("structured")
}
