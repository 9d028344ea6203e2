import Testing
@testable import Tokenizers

/// llama.cpp's ids for the tokenizer-only GGUFs in Tests/Fixtures/lm/tokenizers
/// (scripts/reference/make_lm_tokenizer_fixtures.py): a SentencePiece BPE `llama` vocabulary
/// with byte fallback, and a byte-level BPE vocabulary under the `default`, `llama-bpe` and
/// `gpt-2` pre-tokenizers.
struct LlamaCppReferenceTests {
    static let directory = LMFixtures.repoRoot + "/Tests/Fixtures/lm/tokenizers"

    @Test(arguments: ["spm-bpe", "gpt2-default", "gpt2-llama-bpe", "gpt2-gpt-2"])
    func everyLineMatches(_ name: String) throws {
        let tokenizer = try LMTokenizer(ggufPath: Self.directory + "/\(name).gguf")
        let lines = try LMFixtures.jsonLines(Self.directory + "/\(name).jsonl")
        #expect(lines.count == 310)
        var mismatches: [String] = []
        for line in lines {
            let text = try #require(line[member: "text"]?.text)
            let id = line[member: "id"]?.intValue ?? -1
            for (key, add, parse) in [("ids", false, true), ("ids_special_false", false, false), ("ids_add_special", true, true)] {
                let expected = try #require(line[member: key]?.ids)
                let ids = tokenizer.encode(text, addSpecial: add, parseSpecial: parse)
                if ids != expected { mismatches.append("\(key) line \(id): \(ids) != \(expected)") }
            }
            let ids = try #require(line[member: "ids"]?.ids)
            let detok = hexBytes(try #require(line[member: "detokenize_hex"]?.text))
            if tokenizer.detokenize(ids) != detok { mismatches.append("detokenize line \(id)") }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches:\n\(mismatches.prefix(8).joined(separator: "\n"))")
    }

    @Test func sentencePieceVocabularyFacts() throws {
        let tokenizer = try LMTokenizer(ggufPath: Self.directory + "/spm-bpe.gguf")
        let v = tokenizer.vocabulary
        #expect(v.model == .sentencePiece)
        #expect(v.addBOS && !v.addEOS && v.addSpacePrefix)
        // BOS and the leading space. llama_detokenize(remove_special) drops the BOS and then
        // (llama.cpp quirk) keeps the prefix space; without BOS the first space goes.
        let ids = tokenizer.encode("Hello world", addSpecial: true, parseSpecial: true)
        #expect(ids.first == v.bosID)
        #expect(tokenizer.decode(ids) == " Hello world")
        #expect(tokenizer.decode(Array(ids.dropFirst())) == "Hello world")
        // Byte fallback: a character outside the vocabulary becomes its UTF-8 bytes' <0xXX> tokens.
        let snowman = tokenizer.encode("☃", addSpecial: false, parseSpecial: false)
        #expect(snowman.count >= 3)
        #expect(tokenizer.decode(snowman) == "☃")
    }
}
