import Foundation
import StructuredOutput
import Testing

/// The byte automaton against hand-written documents fed one byte at a time: each must be
/// accepted or refused (at a byte, or by never reaching an accepting state) as the fixture says.
@Suite struct AutomatonTests {
    static func accepts(_ schema: String, _ document: String) throws -> Bool {
        var matcher = try JSONSchema(json: schema).matcher()
        for b in document.utf8 where !matcher.feed([b]) { return false }
        return matcher.isAccepting
    }

    /// Tests/Fixtures/structured/cases.json: hand-written documents with whether the automaton
    /// must accept them, and Python jsonschema's verdict (scripts/reference/check_structured_cases.py).
    struct Case: Decodable {
        var schema: String
        var document: String
        var accepted: Bool
        var is_json: Bool
        var jsonschema_valid: Bool
    }

    static let cases: [Case] = {
        let url = Fixtures.structured.appendingPathComponent("cases.json")
        struct File: Decodable { var cases: [Case] }
        return (try? JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases) ?? []
    }()

    @Test func handWrittenDocumentsAreAcceptedOrRefusedByteByByte() throws {
        try #require(Self.cases.count > 70)
        for c in Self.cases {
            #expect(try Self.accepts(TestSchemas.text(c.schema), c.document) == c.accepted, "\(c.schema): \(c.document)")
            // What the automaton accepts, jsonschema finds valid (the promise), and the tests'
            // own validator agrees with jsonschema on every strict JSON document (Foundation
            // also parses some non-JSON, such as a trailing comma).
            if c.accepted { #expect(c.jsonschema_valid, "\(c.document)") }
            if c.is_json { #expect((validationProblem(c.document, schema: TestSchemas.text(c.schema)) == nil) == c.jsonschema_valid,
                    "\(c.schema): \(c.document): \(validationProblem(c.document, schema: TestSchemas.text(c.schema)) ?? "valid")") }
        }
    }

    @Test func invalidUTF8IsRefusedInsideStrings() throws {
        let schema = try JSONSchema(json: TestSchemas.unicodeString)
        let bad: [[UInt8]] = [
            [0x22, 0x80],  // a lone continuation byte
            [0x22, 0xC0, 0xAF],  // overlong '/'
            [0x22, 0xE0, 0x80, 0x80],  // overlong
            [0x22, 0xED, 0xA0, 0x80],  // a UTF-8 encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0x22, 0xF5],
            [0x22, 0xC3, 0x22],  // a quote inside a character
        ]
        for bytes in bad {
            var matcher = schema.matcher()
            let fed1 = matcher.feed(bytes)
            #expect(!fed1, "\(bytes)")
        }
        // A character split across feeds (as across tokens) is fine.
        var matcher = schema.matcher()
        let fed2 = matcher.feed([0x22, 0xF0, 0x9F])
        #expect(fed2)
        #expect(!matcher.isAccepting)
        let fed3 = matcher.feed([0x98, 0x80, 0x22])
        #expect(fed3)
        #expect(matcher.isAccepting && matcher.isComplete)
    }

    @Test func completionAndEndStates() throws {
        var matcher = try JSONSchema(json: TestSchemas.topLevelInteger).matcher()
        #expect(!matcher.isAccepting)
        let fed4 = matcher.feed("30")
        #expect(fed4)
        #expect(matcher.isAccepting && !matcher.isComplete, "30 may end or go on to 300...305")
        let fed5 = matcher.feed("5")
        #expect(fed5)
        #expect(matcher.isAccepting)
        let fed6 = matcher.feed("0")
        #expect(!fed6, "3050 is out of range")
        var intent = try JSONSchema(json: TestSchemas.taskIntent).matcher()
        let fed7 = intent.feed(#"{"action":"stop","target":"x""#)
        #expect(fed7)
        #expect(!intent.isComplete)
        let fed8 = intent.feed("}")
        #expect(fed8)
        #expect(intent.isComplete && intent.isAccepting)
        let fed9 = intent.feed(" ")
        #expect(!fed9, "nothing follows a complete document")
    }
}
