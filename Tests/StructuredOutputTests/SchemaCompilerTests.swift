import Foundation
import StructuredOutput
import Testing

/// Schema parsing: the subset compiles; anything else is an error naming the keyword and
/// its JSON pointer; malformed or hostile files are errors, never crashes.
@Suite struct SchemaCompilerTests {
    func error(_ schema: String) -> JSONSchemaError? {
        do {
            _ = try JSONSchema(json: schema)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: TestSchemas.all.map(\.name))
    func theTestSchemasCompile(name: String) throws {
        let schema = TestSchemas.all.first { $0.name == name }!.schema
        #expect(error(schema) == nil)
    }

    @Test func unsupportedKeywordsAreNamedWithTheirPath() {
        let cases: [(schema: String, keyword: String, path: String)] = [
            (#"{"type": "string", "pattern": "^a"}"#, "pattern", "/pattern"),
            (#"{"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}"#, "format", "/properties/a/format"),
            (##"{"type": "object", "properties": {"a/b": {"$ref": "#/x"}}}"##, "$ref", "/properties/a~1b/$ref"),
            (#"{"type": "array", "items": {"type": "object", "properties": {"p": {"oneOf": []}}}}"#, "oneOf", "/items/properties/p/oneOf"),
            (#"{"anyOf": [{"type": "null"}, {"type": "integer", "multipleOf": 2}]}"#, "multipleOf", "/anyOf/1/multipleOf"),
            (#"{"type": "object", "minProperties": 1}"#, "minProperties", "/minProperties"),
            (#"{"type": "array", "items": {"type": "string"}, "uniqueItems": true}"#, "uniqueItems", "/uniqueItems"),
        ]
        for (schema, keyword, path) in cases {
            #expect(error(schema) == .unsupportedKeyword(keyword, path: path), "\(schema)")
            let message = error(schema)?.description ?? ""
            #expect(message.contains("\"\(keyword)\"") && message.contains(path), "\(message)")
        }
    }

    @Test func unusableValuesAreInvalidSchemasWithTheirPath() {
        let cases: [(schema: String, path: String, words: String)] = [
            (#"{"type": "number", "maximum": 3}"#, "/maximum", "integer only"),
            (#"{"type": "string", "minLength": 5, "maxLength": 2}"#, "", "above maxLength"),
            (#"{"type": "string", "maxLength": -1}"#, "/maxLength", "non-negative integer"),
            (#"{"type": "string", "maxLength": 1.5}"#, "/maxLength", "non-negative integer"),
            (#"{"type": "integer", "minimum": 5, "maximum": 4}"#, "", "no integer"),
            (#"{"type": "integer", "exclusiveMinimum": 4, "exclusiveMaximum": 5}"#, "", "no integer"),
            (#"{"type": "strin"}"#, "/type", "unknown type"),
            (#"{"type": "string", "minItems": 1}"#, "/minItems", "does not apply"),
            (#"{"properties": {}}"#, "", "needs a type"),
            (#"{}"#, "", "needs a type"),
            (#"true"#, "", "must be an object"),
            (#"{"enum": []}"#, "/enum", "non-empty"),
            (#"{"enum": ["a", 1], "type": "string"}"#, "/enum/1", "not of type"),
            (#"{"enum": ["a"], "maxLength": 3}"#, "/maxLength", "cannot be combined"),
            (#"{"type": "object", "properties": {"a": {"type": "null"}}, "required": ["b"]}"#, "/required/0", "does not define"),
            (#"{"type": "object", "additionalProperties": {"type": "string"}}"#, "/additionalProperties", "true or false"),
            (#"{"type": "array"}"#, "", "needs items"),
            (#"{"type": "array", "items": [{"type": "null"}]}"#, "/items", "tuple"),
            (#"{"anyOf": [{"type": "integer"}, {"type": "number"}]}"#, "/anyOf", "both start with"),
            (#"{"anyOf": [{"enum": ["a"]}, {"type": "string"}]}"#, "/anyOf", "both start with"),
            (#"{"type": ["integer", "number"]}"#, "/type", "both start with"),
            (#"{"anyOf": []}"#, "/anyOf", "non-empty"),
        ]
        for (schema, path, words) in cases {
            guard case .invalidSchema(let at, let reason)? = error(schema) else {
                Issue.record("\(schema): expected an invalid-schema error, got \(String(describing: error(schema)))")
                continue
            }
            #expect(at == path, "\(schema): \(reason)")
            #expect(reason.contains(words), "\(schema): \(reason)")
        }
    }

    @Test func malformedJSONIsAnErrorWithItsOffset() {
        let cases: [(text: String, offset: Int)] = [
            ("", 0), ("{", 1), (#"{"type": "string",}"#, 18), (#"{"type" "string"}"#, 8),
            (#"{"type": "string", "type": "null"}"#, 19), (#"{"a": 01}"#, 7), (#"{"a": "\q"}"#, 8),
            ("{\"a\": \"\u{1}\"}", 7), (#"{"a": tru}"#, 9), (#"{} {}"#, 3), (#"{"a": "\ud800"}"#, 13),
        ]
        for (text, offset) in cases {
            guard case .invalidJSON(let at, let reason)? = error(text) else {
                Issue.record("\(text.debugDescription): expected invalid JSON, got \(String(describing: error(text)))")
                continue
            }
            #expect(at == offset, "\(text.debugDescription): \(reason)")
        }
        // Invalid UTF-8 and hostile nesting.
        #expect(throws: JSONSchemaError.self) { try JSONSchema(json: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) }
        #expect(throws: JSONSchemaError.self) { try JSONSchema(json: String(repeating: "[", count: 100_000)) }
    }

    /// Random mutations of valid schemas: every outcome is a schema or an error, never a crash.
    @Test func fuzzedSchemasNeverCrash() {
        var seed: UInt64 = 0x5EED
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return seed >> 33
        }
        let alphabet = Array(#"{}[]":,-0123456789.eE"\ tnrufalsy"#.utf8) + [0x80, 0xC3, 0xFF]
        var compiled = 0
        for round in 0..<4000 {
            var bytes = Array(TestSchemas.all[round % TestSchemas.all.count].schema.utf8)
            for _ in 0..<(1 + Int(next() % 4)) {
                let at = Int(next() % UInt64(bytes.count))
                switch next() % 3 {
                case 0: bytes[at] = alphabet[Int(next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(next() % UInt64(alphabet.count))], at: at)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            if let schema = try? JSONSchema(json: bytes) {
                compiled += 1
                var matcher = schema.matcher()
                _ = matcher.feed(bytes.prefix(20))
            }
        }
        #expect(compiled > 0)
    }
}
