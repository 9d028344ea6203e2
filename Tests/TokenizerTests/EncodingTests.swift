import Imaging
import Testing
@testable import Tokenizers

@Suite struct EncodingTests {
    @Test func vocabularyHasCLIPShape() throws {
        let tokenizer = try TestSupport.clip()
        #expect(tokenizer.vocabularySize == 49_408)
        #expect(tokenizer.startTokenID == 49_406)
        #expect(tokenizer.endTokenID == 49_407)
        #expect(tokenizer.vocabulary.id(of: "!".unicodeScalars) == 0)
        #expect(tokenizer.vocabulary.id(of: "!</w>".unicodeScalars) == 256)
    }

    @Test func emptyTextIsJustStartAndEnd() throws {
        let tokenizer = try TestSupport.clip()
        #expect(tokenizer.encode("") == [49_406, 49_407])
        #expect(tokenizer.encode(" \t\n ") == [49_406, 49_407])
    }

    @Test func knownCaption() throws {
        // Well-known ids of OpenAI CLIP for this prompt.
        #expect(try TestSupport.clip().encode("a photo of a cat") == [49_406, 320, 1_125, 539, 320, 2_368, 49_407])
    }

    @Test func truncationKeepsTheEndTokenAtExactlyTheContextLength() throws {
        let tokenizer = try TestSupport.clip()
        let ids = tokenizer.encode(String(repeating: "robot arm ", count: 100))
        #expect(ids.count == 77)
        #expect(ids.first == 49_406)
        #expect(ids.last == 49_407)
        #expect(!ids.dropFirst().dropLast().contains(49_407))
        // 75 words fit exactly; 76 are cut to 75.
        #expect(tokenizer.encode(String(repeating: "x ", count: 75)).count == 77)
        #expect(tokenizer.encode(String(repeating: "x ", count: 74)).count == 76)
        #expect(tokenizer.encode(String(repeating: "x ", count: 76)) == tokenizer.encode(String(repeating: "x ", count: 75)))
    }

    @Test func otherContextLengths() throws {
        let vocabulary = try TestSupport.clip().vocabulary
        let short = try CLIPTokenizer(vocabulary: vocabulary, contextLength: 5)
        #expect(short.encode("a photo of a cat") == [49_406, 320, 1_125, 539, 49_407])
        #expect(try CLIPTokenizer(vocabulary: vocabulary, contextLength: 2).encode("cat") == [49_406, 49_407])
        #expect(throws: TokenizerError.invalidContextLength(1)) { try CLIPTokenizer(vocabulary: vocabulary, contextLength: 1) }
    }

    @Test func specialTokensInText() throws {
        let tokenizer = try TestSupport.clip()
        #expect(tokenizer.encode("a <|endoftext|> b") == [49_406, 320, 49_407, 321, 49_407])
        // Lowercased into a special token by the clean-up: still the special id.
        #expect(tokenizer.encode("<|ENDOFTEXT|>") == [49_406, 49_407, 49_407])
    }

    @Test func decodeRoundTrips() throws {
        let tokenizer = try TestSupport.clip()
        // As in the reference, every pre-token ends a word, so punctuation and digits
        // come back separated by spaces.
        let cases = [
            ("a photo of a cat", "a photo of a cat"), ("Naïve café, 東京 🤖!", "naïve café , 東京 🤖!"),
            ("it's 3.14", "it 's 3 . 1 4"),
        ]
        for (text, expected) in cases {
            #expect(tokenizer.decode(tokenizer.encode(text)) == expected)
        }
        let ids = tokenizer.encode("a cat")
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == "<|startoftext|>a cat <|endoftext|>")
        // Half of a multi-byte character, and ids outside the vocabulary, cannot crash.
        let euroFirstByte = tokenizer.vocabulary.id(of: [ByteLevel.scalarOfByte[0xE2]])!
        #expect(tokenizer.decode([euroFirstByte, 320]) == "\u{FFFD}a")
        #expect(tokenizer.decode([-5, 1_000_000, 320]) == "a")
    }

    /// Speed is measured by `lm-tokenizer-bench`, not asserted here: tests must hold on a busy machine.
    @Test func longTextIsTruncated() throws {
        let tokenizer = try TestSupport.clip()
        var rng = SplitMix64(seed: 10)
        let words = ["robot", "arm", "Straße", "東京", "🤖", "it's", "&amp;", "ﬁne", "ＡＢＣ", "e\u{301}", "42", ",", "\n"]
        var text = ""
        while text.unicodeScalars.count < 10_000 { text += words[Int(rng.next() % UInt64(words.count))] + " " }
        _ = tokenizer.encode(text)  // warm the word cache and the lazily built tables
        let ids = tokenizer.encode(text)
        #expect(ids.count == 77)
        #expect(ids.last == 49_407)
        // Truncation keeps the text's own beginning.
        #expect(Array(ids.dropLast().prefix(20)) == Array(tokenizer.encode(String(text.prefix(400))).dropLast().prefix(20)))
    }

    /// The word cache returns what the first, uncached encoding gave (its speed is the benchmark's).
    @Test func cachedWordsEncodeAsTheFirstTime() throws {
        let tokenizer = try TestSupport.clip()
        let captions = ["a photo of a cat", "a small red robot arm picking up the blue box on the table",
                        "two dogs playing in the snow!", "a blurry photo of a person walking"]
        let first = captions.map { tokenizer.encode($0) }
        for _ in 0..<3 { #expect(captions.map { tokenizer.encode($0) } == first) }
    }
}
