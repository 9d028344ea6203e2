@testable import Tokenizers
import Testing

@Suite struct LoaderTests {
    /// vocab.json + merges.txt and tokenizer.json written from OpenAI's vocabulary
    /// must tokenize exactly as the gzip loader does.
    @Test func huggingFaceFilesMatchTheGzipVocabulary() throws {
        let reference = try TestSupport.clip()
        let vocabulary = reference.vocabulary
        let merges = FileWriting.merges(of: vocabulary)
        #expect(merges.count == BPEVocabulary.openAIMergeCount)
        let folder = ScratchFolder()
        let vocabPath = folder.write("vocab.json", FileWriting.vocabJSON(vocabulary.tokens))
        let mergesPath = folder.write("merges.txt", FileWriting.mergesText(merges))
        let jsonStrings = folder.write("strings.json", FileWriting.tokenizerJSON(vocabulary.tokens, merges, pairs: false))
        let jsonPairs = folder.write("pairs.json", FileWriting.tokenizerJSON(vocabulary.tokens, merges, pairs: true))
        let loaded = [
            try CLIPTokenizer(vocabPath: vocabPath, mergesPath: mergesPath),
            try CLIPTokenizer(tokenizerJSONPath: jsonStrings),
            try CLIPTokenizer(tokenizerJSONPath: jsonPairs),
            try CLIPTokenizer(directory: folder.path),  // picks vocab.json + merges.txt
        ]
        let texts = try ReferenceTests.lines().map(\.text)
        for tokenizer in loaded {
            #expect(tokenizer.vocabularySize == 49_408)
            for text in texts {
                #expect(tokenizer.encode(text) == reference.encode(text), "\(quoted(text.unicodeScalars))")
            }
        }
    }

    /// Tokens that are equal as Swift Strings (canonically equivalent) but are
    /// different scalar sequences keep their own ids. "é" and "Å" are byte
    /// characters already in every CLIP vocabulary.
    @Test func canonicallyEquivalentTokensStayDistinct() throws {
        let extra: [[Unicode.Scalar]] = [
            ["e", "\u{301}"],  // ≡ "é"
            ["\u{212B}"],  // ANGSTROM SIGN ≡ "Å"
            ["\u{1D6}"],  // ǖ
            ["\u{FC}", "\u{304}"],  // ü + macron ≡ ǖ
            ["u", "\u{308}", "\u{304}"],  // ≡ ǖ
        ]
        var tokens = TinyVocabulary.tokens
        tokens.insert(contentsOf: extra.map { Optional($0) }, at: tokens.count - 2)
        #expect(FileWriting.string(extra[0]) == "é" && FileWriting.string(extra[1]) == "Å")  // what String would merge
        let folder = ScratchFolder()
        let vocab = folder.write("vocab.json", FileWriting.vocabJSON(tokens))
        let merges = folder.write("merges.txt", FileWriting.mergesText(TinyVocabulary.merges))
        let json = folder.write("tokenizer.json", FileWriting.tokenizerJSON(tokens, TinyVocabulary.merges, pairs: true))
        for vocabulary in [try BPEVocabulary.loadHuggingFace(vocabPath: vocab, mergesPath: merges),
                           try BPEVocabulary.loadTokenizerJSON(path: json)] {
            #expect(vocabulary.count == tokens.count)
            let all = extra + [["\u{E9}"], ["\u{C5}"]]
            let ids = all.map { vocabulary.id(of: $0) }
            #expect(ids.allSatisfy { $0 != nil })
            #expect(Set(ids.compactMap { $0 }).count == all.count)
            for (token, id) in zip(all, ids) { #expect(vocabulary.token(of: id!) == token) }
        }
    }

    @Test func tinyVocabularyTokenizes() throws {
        let folder = ScratchFolder()
        let vocab = folder.write("vocab.json", FileWriting.vocabJSON(TinyVocabulary.tokens))
        let merges = folder.write("merges.txt", FileWriting.mergesText(TinyVocabulary.merges))
        let tokenizer = try CLIPTokenizer(vocabPath: vocab, mergesPath: merges)
        let clip = try TestSupport.clip()
        // The tiny vocabulary's merges are CLIP's first ones, so their results agree
        // with CLIP's tokens (at other ids).
        let ids = tokenizer.encode("the cat")
        let pieces = ids.dropFirst().dropLast().map { FileWriting.string(tokenizer.vocabulary.token(of: $0)!) }
        let clipPieces = clip.encode("the cat").dropFirst().dropLast().map { FileWriting.string(clip.vocabulary.token(of: $0)!) }
        #expect(pieces == ["the</w>", "c", "at</w>"])
        #expect(clipPieces == ["the</w>", "cat</w>"])
        #expect(ids.first == Int32(TinyVocabulary.tokens.count - 2))
    }
}

/// 512 byte tokens, the first 300 CLIP merges and the two special tokens.
enum TinyVocabulary {
    static let merges: [([Unicode.Scalar], [Unicode.Scalar])] = {
        // Without the shared vocabulary this is empty and the tests using it fail (not crash).
        guard let clip = try? TestSupport.clip() else { return [] }
        return Array(FileWriting.merges(of: clip.vocabulary).prefix(300))
    }()

    static let tokens: [[Unicode.Scalar]?] = {
        let bytes = ByteLevel.byteOrder.map { [ByteLevel.scalarOfByte[Int($0)]] }
        return bytes + bytes.map { $0 + BPEVocabulary.endOfWord } + merges.map { $0.0 + $0.1 }
            + [BPEVocabulary.startToken, BPEVocabulary.endToken]
    }()
}
