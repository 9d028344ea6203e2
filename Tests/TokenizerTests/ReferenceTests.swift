@testable import Tokenizers
import Testing

/// Ids from Hugging Face's (Python) CLIPTokenizer with ftfy, for 415 texts chosen to
/// exercise every step: captions, punctuation, digits, contractions, whitespace,
/// HTML entities, scripts, emoji, combining marks, fullwidth forms, ligatures,
/// mojibake, control characters, special tokens and long inputs.
/// See scripts/fixtures/make_clip_tokenizer_fixtures.py in the main repository.
@Suite struct ReferenceTests {
    struct Line {
        var number: Int
        var text: String
        var category: String
        var ids: [Int32]
    }

    static func lines() throws -> [Line] {
        let bytes = try TestSupport.readText(TestSupport.referencePath)
        var lines: [Line] = []
        for (index, raw) in bytes.split(separator: 0x0A).enumerated() {
            let json = try JSONReader.parse(Array(raw))
            guard case .string(let text)? = json[member: "text"], case .string(let category)? = json[member: "category"],
                case .array(let ids)? = json[member: "ids"]
            else { throw TokenizerError.malformedVocabulary(path: TestSupport.referencePath, reason: "line \(index + 1)") }
            var string = ""
            string.unicodeScalars.append(contentsOf: text)
            lines.append(Line(number: index + 1, text: string, category: String(String.UnicodeScalarView(category)),
                              ids: ids.map { Int32($0.intValue!) }))
        }
        return lines
    }

    @Test func everyReferenceLineMatches() throws {
        let tokenizer = try TestSupport.clip()
        let lines = try Self.lines()
        #expect(lines.count >= 400)
        var mismatches = 0
        for line in lines {
            let ids = tokenizer.encode(line.text)
            if ids != line.ids {
                mismatches += 1
                Issue.record("line \(line.number) [\(line.category)] \(quoted(line.text.unicodeScalars, limit: 60)): got \(ids.prefix(20)), want \(line.ids.prefix(20))")
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(lines.count) reference lines differ")
    }
}
