import Imaging
import Testing
@testable import Tokenizers

struct MetadataErrorTests {
    func load(_ file: TinyGGUF) throws(TokenizerError) -> (LMTokenizer, String) {
        let scratch = ScratchFolder()
        let path = scratch.write("model.gguf", file.bytes())
        return (try LMTokenizer(ggufPath: path), path)
    }

    func error(_ file: TinyGGUF) -> TokenizerError? {
        let scratch = ScratchFolder()
        let path = scratch.write("model.gguf", file.bytes())
        do {
            _ = try LMTokenizer(ggufPath: path)
            return nil
        } catch {
            #expect(error.path == path)
            #expect(!error.description.contains("\n"))
            return error
        }
    }

    @Test func tinyVocabularyWorks() throws {
        let (tokenizer, _) = try load(.bytePairEncoding())
        let v = tokenizer.vocabulary
        let abc = try #require(v.id(of: Array("abc".utf8)))
        let ctl = try #require(v.id(of: Array("<|ctl|>".utf8)))
        let u = try #require(v.id(of: Array("<u>".utf8)))
        #expect(tokenizer.encode("abc", addSpecial: true, parseSpecial: false) == [abc])
        #expect(tokenizer.encode("<|ctl|>", addSpecial: false, parseSpecial: true) == [ctl])
        #expect(tokenizer.encode("<|ctl|>", addSpecial: false, parseSpecial: false).count == 7)
        // User-defined tokens are matched even without parseSpecial.
        #expect(tokenizer.encode("x<u>y", addSpecial: false, parseSpecial: false).contains(u))
        #expect(v.endOfGenerationIDs == [ctl])
    }

    @Test func unknownPreTokenizerNamesTheValue() {
        guard case .unknownPreTokenizer(_, let name)? = error(.bytePairEncoding(pre: "my-custom-pre")) else {
            Issue.record("expected unknownPreTokenizer")
            return
        }
        #expect(name == "my-custom-pre")
        #expect(error(.bytePairEncoding(pre: "my-custom-pre"))!.description.contains("'my-custom-pre'"))
    }

    @Test func unsupportedModel() {
        var file = TinyGGUF.bytePairEncoding()
        file["tokenizer.ggml.model"] = .string("t5")
        guard case .unsupportedTokenizerModel(_, let model)? = error(file) else {
            Issue.record("expected unsupportedTokenizerModel")
            return
        }
        #expect(model == "t5")
    }

    @Test func malformedMetadata() {
        var noMerges = TinyGGUF.bytePairEncoding()
        noMerges["tokenizer.ggml.merges"] = nil
        #expect(error(noMerges)?.description.contains("tokenizer.ggml.merges") == true)

        var badTypes = TinyGGUF.bytePairEncoding()
        badTypes["tokenizer.ggml.token_type"] = .strings(["1"])
        #expect(error(badTypes)?.description.contains("tokenizer.ggml.token_type") == true)

        var shortTypes = TinyGGUF.bytePairEncoding()
        shortTypes["tokenizer.ggml.token_type"] = .i32s([1, 1])
        #expect(error(shortTypes)?.description.contains("2 token types") == true)

        var duplicate = TinyGGUF.bytePairEncoding()
        duplicate["tokenizer.ggml.tokens"] = .strings(["a", "b", "a"])
        duplicate["tokenizer.ggml.token_type"] = nil
        #expect(error(duplicate)?.description.contains("appears twice") == true)

        var wrongPreType = TinyGGUF.bytePairEncoding()
        wrongPreType["tokenizer.ggml.pre"] = .u32(2)
        #expect(error(wrongPreType)?.description.contains("tokenizer.ggml.pre") == true)

        var noTokens = TinyGGUF.bytePairEncoding()
        noTokens["tokenizer.ggml.tokens"] = nil
        #expect(error(noTokens)?.description.contains("tokenizer.ggml.tokens") == true)

        var bosWanted = TinyGGUF.bytePairEncoding()
        bosWanted["tokenizer.ggml.add_bos_token"] = .bool(true)  // default BOS id 11 exists: fine
        #expect(error(bosWanted) == nil)
    }
}

struct StreamingTests {
    /// The tiny Qwen2 vocabulary has 320 tokens, so CJK characters and emoji are split into
    /// byte tokens: every multi-byte character arrives in pieces.
    static let tokenizer = Result { () throws(TokenizerError) in
        try LMTokenizer(ggufPath: LMFixtures.tinyDirectory + "/qwen2-gqa-tied-qkvbias/model-f32.gguf")
    }

    @Test(arguments: ["日本語のテキスト", "robot 🤖 picks 👨‍👩‍👧 up 🇯🇵!", "naïve café 中文 ½ ✓", "plain ascii"])
    func streamingEmitsOnlyCompleteCharacters(_ text: String) throws {
        let tokenizer = try Self.tokenizer.get()
        let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var out = ""
        var heldBack = false
        for id in ids {
            let chunk = stream.append(id)
            // Each chunk is whole characters of the text, in order.
            #expect(text.utf8.starts(with: (out + chunk).utf8))
            #expect(!chunk.unicodeScalars.contains("\u{FFFD}"))
            if stream.pendingByteCount > 0 { heldBack = true }
            out += chunk
        }
        out += stream.finish()
        #expect(out == text)
        if text.utf8.count != text.unicodeScalars.count { #expect(heldBack) }
    }

    @Test func invalidBytesAreNotHeldForever() throws {
        let tokenizer = try Self.tokenizer.get()
        let v = tokenizer.vocabulary
        // The byte-level token of a lone lead byte 0xE6, then ASCII.
        let lead = try #require(v.id(of: Array(String(Character(ByteLevel.scalarOfByte[0xE6])).utf8)))
        let a = try #require(v.id(of: Array("a".utf8)))
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(stream.append(lead) == "")
        #expect(stream.append(a) == "\u{FFFD}a")
        #expect(stream.finish() == "")
    }

    @Test func controlTokensRenderOnlyWhenAsked() throws {
        let tokenizer = try Self.tokenizer.get()
        let ids = tokenizer.encode("<|im_start|>hi<|im_end|>", addSpecial: false, parseSpecial: true)
        var plain = StreamingDetokenizer(tokenizer: tokenizer)
        var rendered = StreamingDetokenizer(tokenizer: tokenizer, renderSpecial: true)
        #expect(ids.map { plain.append($0) }.joined() == "hi")
        #expect(ids.map { rendered.append($0) }.joined() == "<|im_start|>hi<|im_end|>")
    }
}

struct LMFuzzTests {
    static func randomText(_ rng: inout SplitMix64) -> String {
        let pools: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x09...0x0D, 0x20...0x20, 0x30...0x39, 0xA0...0x17F, 0x300...0x36F, 0x4E00...0x9FFF,
            0x3040...0x30FF, 0xAC00...0xD7A3, 0x1F300...0x1FAFF, 0x2000...0x206F, 0x0...0x10FFFF, 0x27...0x27,
        ]
        var s = ""
        for _ in 0..<Int.random(in: 0...40, using: &rng) {
            let pool = pools.randomElement(using: &rng)!
            if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &rng)) { s.unicodeScalars.append(scalar) }
        }
        return s
    }

    @Test func randomTextNeverCrashesAndRoundTrips() throws {
        let qwen2 = try StreamingTests.tokenizer.get()
        let gpt2 = try LMTokenizer(ggufPath: LMFixtures.repoRoot + "/Tests/Fixtures/lm/tokenizers/gpt2-default.gguf")
        let llama3 = try LMTokenizer(ggufPath: LMFixtures.repoRoot + "/Tests/Fixtures/lm/tokenizers/gpt2-llama-bpe.gguf")
        let spm = try LMTokenizer(ggufPath: LMFixtures.repoRoot + "/Tests/Fixtures/lm/tokenizers/spm-bpe.gguf")
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<3000 {
            let text = Self.randomText(&rng)
            for tokenizer in [qwen2, gpt2, llama3, spm] {
                for parse in [false, true] {
                    let ids = tokenizer.encode(text, addSpecial: true, parseSpecial: parse)
                    #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize })
                }
            }
            // Byte-level BPE without special tokens loses nothing (qwen2 has no clean_spaces).
            for tokenizer in [qwen2] {
                let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
                #expect(tokenizer.decode(ids) == text, "\(text.debugDescription)")
            }
            // SentencePiece with byte fallback also round-trips (the prefix space is removed).
            let ids = spm.encode(text, addSpecial: false, parseSpecial: false)
            #expect(spm.detokenize(ids) == Array(text.utf8), "\(text.debugDescription)")
        }
    }
}
