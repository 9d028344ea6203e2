import Foundation
import StructuredOutput
import Testing

/// The byte automaton against hand-written documents: each valid one is accepted when fed
/// one byte at a time (and is valid for the independent validator too); each invalid one is
/// refused at a byte or never reaches an accepting state.
@Suite struct AutomatonTests {
    static func accepts(_ schema: String, _ document: String) throws -> Bool {
        var matcher = try JSONSchema(json: schema).matcher()
        for b in document.utf8 where !matcher.feed([b]) { return false }
        return matcher.isAccepting
    }

    static let valid: [(schema: String, document: String)] = [
        (TestSchemas.taskIntent, #"{"action":"pick","target":"red cup"}"#),
        (TestSchemas.taskIntent, #"{"action": "go_to", "target": "the kitchen table"}"#),
        (TestSchemas.taskIntent, #"{"action":"stop","target":""}"#),
        (TestSchemas.taskIntent, #"{"action":"place","target":"tasse à café ☕ 😀"}"#),
        (TestSchemas.taskIntent, #"{"action":"pick","target":"a \"quoted\" \\ \/ \n\t\u00e9\u20AC"}"#),
        (TestSchemas.taskIntent, #"{"action":"pick","target":"\#(String(repeating: "x", count: 40))"}"#),
        (TestSchemas.taskIntent, #"{"action":"pick","target":"\#(String(repeating: "é", count: 40))"}"#),
        (TestSchemas.everything, #"{"id":0,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":-50,"name":"abcdef","score":-0.5e+12,"ok":false,"nothing":null,"tags":["abcd","",""],"pose":{"x":0,"y":9},"either":"hello","mixed":12,"fixed":"v1","maybe":null,"grid":[[],[7,7]]}"#),
        (TestSchemas.everything, #"{"id":1234,"name":"xy","ok":true,"tags":["a"],"pose":{"x":1.25,"y":5},"either":99,"mixed":{"a":[1,2]},"fixed":"v1","maybe":"abc"}"#),
        (TestSchemas.everything, #"{"id":7, "name":"xy", "tags":["a", "b"], "pose":{"y":5}, "either":null, "mixed":1, "fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":-7,"name":"xy","tags":["a"],"pose":{"y":5},"mixed":true,"fixed":"v1"}"#),
        (TestSchemas.topLevelInteger, "-120"),
        (TestSchemas.topLevelInteger, "305"),
        (TestSchemas.topLevelInteger, "0"),
        (TestSchemas.topLevelInteger, "-0"),
        (TestSchemas.topLevelInteger, "99"),
        (#"{"type": "integer", "minimum": 9007199254740993, "maximum": 9007199254740993}"#, "9007199254740993"),
        (#"{"type": "integer", "exclusiveMaximum": -999999999999999998}"#, "-999999999999999999"),
        (TestSchemas.topLevelNumber, "3.14159"),
        (TestSchemas.topLevelNumber, "-0"),
        (TestSchemas.topLevelNumber, "1E5"),
        (TestSchemas.topLevelNumber, "123456789012345.123456789012345"),
        (TestSchemas.topLevelArray, "[]"),
        (TestSchemas.topLevelArray, #"["abc", "a","ab","a"]"#),
        (TestSchemas.unicodeString, #""日本語のテキスト""#),
        (TestSchemas.unicodeString, "\"\u{10FFFF}\u{1F600}\""),
    ]

    static let invalid: [(schema: String, document: String)] = [
        (TestSchemas.taskIntent, #"{"action":"jump","target":"x"}"#),  // not in the enum
        (TestSchemas.taskIntent, #"{"target":"x","action":"pick"}"#),  // not the declared order
        (TestSchemas.taskIntent, #"{"action":"pick"}"#),  // missing required
        (TestSchemas.taskIntent, #"{"action":"pick","target":"x","extra":1}"#),
        (TestSchemas.taskIntent, #"{"action":"pick","target":"\#(String(repeating: "x", count: 41))"}"#),
        (TestSchemas.taskIntent, #"{"action":"pick","target":"x"} "#),  // trailing space
        (TestSchemas.taskIntent, #" {"action":"pick","target":"x"}"#),  // leading space
        (TestSchemas.taskIntent, #"{"action":"pick",  "target":"x"}"#),  // two spaces
        (TestSchemas.taskIntent, "{\"action\":\"pick\",\n\"target\":\"x\"}"),  // newline
        (TestSchemas.taskIntent, "{\"action\":\"pick\",\"target\":\"a\nb\"}"),  // raw control character
        (TestSchemas.taskIntent, #"{"action":"pick","target":"\x"}"#),  // bad escape
        (TestSchemas.taskIntent, #"{"action":"pick","target":"\ud83d\ude00"}"#),  // surrogates refused
        (TestSchemas.taskIntent, #"{"action":"pick","target":"x""#),  // incomplete
        (TestSchemas.everything, #"{"id":1235,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":-51,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":01,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1.0,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"a","tags":["a"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":[],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a","b","c","d"],"pose":{"y":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":0},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":10},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"x":1},"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v2"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"either":100,"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"either":true,"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"mixed":123,"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"mixed":false,"fixed":"v1"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1","maybe":"abcd"}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1","grid":[[8]]}"#),
        (TestSchemas.everything, #"{"id":1,"name":"ab","tags":["a"],"pose":{"y":1},"fixed":"v1","score":1.}"#),
        (TestSchemas.topLevelInteger, "306"),
        (TestSchemas.topLevelInteger, "-121"),
        (TestSchemas.topLevelInteger, "1000"),
        (TestSchemas.topLevelInteger, "00"),
        (TestSchemas.topLevelInteger, "+1"),
        (TestSchemas.topLevelInteger, "-"),
        (#"{"type": "integer", "minimum": 9007199254740993, "maximum": 9007199254740993}"#, "9007199254740992"),
        (#"{"type": "integer", "exclusiveMaximum": -999999999999999998}"#, "-999999999999999998"),
        (#"{"type": "integer"}"#, "1234567890123456789"),  // nineteen digits are refused by design
        (TestSchemas.topLevelNumber, "1.5e"),
        (TestSchemas.topLevelNumber, ".5"),
        (TestSchemas.topLevelNumber, "1e123"),  // three exponent digits are refused by design
        (TestSchemas.topLevelNumber, "1234567890123456"),  // sixteen digits are refused by design
        (TestSchemas.topLevelNumber, "NaN"),
        (TestSchemas.topLevelArray, #"["abcd"]"#),
        (TestSchemas.topLevelArray, #"["a","a","a","a","a"]"#),
        (TestSchemas.topLevelArray, #"["a",]"#),
        (TestSchemas.unicodeString, #""""#),
        (TestSchemas.unicodeString, #""1234567890123""#),
    ]

    @Test func validDocumentsAreAcceptedByteByByte() throws {
        for (schema, document) in Self.valid {
            #expect(try Self.accepts(schema, document), "\(document)")
            #expect(validationProblem(document, schema: schema) == nil, "the fixture itself must be valid: \(document)")
        }
    }

    @Test func invalidDocumentsAreRefused() throws {
        for (schema, document) in Self.invalid {
            #expect(try !Self.accepts(schema, document), "\(document)")
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
