@testable import Tokenizers
import Testing

/// Every damaged file gives a TokenizerError that names the file on one line.
@Suite struct MalformedFileTests {
    private func expectError(naming path: String, _ load: () throws(TokenizerError) -> Void,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try load()
            Issue.record("loading \(path) succeeded", sourceLocation: sourceLocation)
        } catch {
            #expect(error.path == path, sourceLocation: sourceLocation)
            #expect(error.description.contains(path), sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), "\(error.description)", sourceLocation: sourceLocation)
        }
    }

    @Test func gzipFiles() throws {
        let folder = ScratchFolder()
        let real = try TestSupport.readText(TestSupport.openAIVocabularyPath)
        var corrupt = real
        for i in stride(from: 1_000, to: 3_000, by: 7) { corrupt[i] ^= 0x5A }
        var lines = FileWriting.openAIMergesText(TinyVocabulary.merges)  // far too few merges
        let cases: [(String, [UInt8])] = [
            ("plain.txt.gz", Array("not gzip at all\n".utf8)),
            ("empty.gz", []),
            ("truncated.gz", Array(real.prefix(real.count / 2))),
            ("corrupt.gz", corrupt),
            ("few-merges.gz", FileWriting.gzip(Array(lines.utf8))),
            ("three-parts.gz", FileWriting.gzip(Array(("header\na b c\n" + String(repeating: "x y\n", count: 50_000)).utf8))),
            ("not-utf8.gz", FileWriting.gzip([0x68, 0x0A, 0xFF, 0xFE, 0x20, 0x61, 0x0A])),
            ("trailing-garbage.gz", real + Array("garbage".utf8)),
        ]
        lines = ""
        for (name, bytes) in cases {
            let path = folder.write(name, bytes)
            expectError(naming: path) { () throws(TokenizerError) in _ = try BPEVocabulary.loadOpenAI(gzipPath: path) }
        }
        let missing = folder.path + "/missing.gz"
        expectError(naming: missing) { () throws(TokenizerError) in _ = try BPEVocabulary.loadOpenAI(gzipPath: missing) }
        #expect(throws: TokenizerError.missingFile(path: missing)) { try BPEVocabulary.loadOpenAI(gzipPath: missing) }
    }

    @Test func mergeLinesAreReportedByNumber() throws {
        let folder = ScratchFolder()
        let text = "header\n" + String(repeating: "a b\n", count: 10) + "oops\n"
        let path = folder.write("bad-line.gz", FileWriting.gzip(Array(text.utf8)))
        #expect(throws: TokenizerError.malformedMerges(path: path, line: 12, reason:
            "expected two tokens separated by a space, found 1: 'oops'")) {
            try BPEVocabulary.loadOpenAI(gzipPath: path)
        }
    }

    @Test func vocabAndMergesFiles() throws {
        let folder = ScratchFolder()
        let goodVocab = FileWriting.vocabJSON(TinyVocabulary.tokens)
        let goodMerges = FileWriting.mergesText(TinyVocabulary.merges)
        var withoutSpecial = TinyVocabulary.tokens
        withoutSpecial.removeLast()
        let vocabCases = [
            "not json", "[1, 2]", "{\"a\": \"1\"}", "{\"a\": -1}", "{\"a\": 1.5}", "{\"a\": 1, \"b\": 1}",
            "{\"a\": 99999999999}", String(goodVocab.dropLast(20)), "{\"a\": 1} x", "{\"\\ud800\": 1}",
            FileWriting.vocabJSON(withoutSpecial), String(repeating: "[", count: 100_000),
        ]
        let mergesPath = folder.write("merges.txt", goodMerges)
        for (index, text) in vocabCases.enumerated() {
            let path = folder.write("vocab\(index).json", text)
            expectError(naming: path) { () throws(TokenizerError) in
                _ = try BPEVocabulary.loadHuggingFace(vocabPath: path, mergesPath: mergesPath)
            }
        }
        let invalidUTF8 = folder.write("latin1.json", [0x7B, 0x22, 0xE9, 0x22, 0x3A, 0x31, 0x7D])
        expectError(naming: invalidUTF8) { () throws(TokenizerError) in
            _ = try BPEVocabulary.loadHuggingFace(vocabPath: invalidUTF8, mergesPath: mergesPath)
        }

        let vocabPath = folder.write("vocab.json", goodVocab)
        let mergeCases = [
            "#version: 0.2\nt h\nonlyone\n",  // one token
            "#version: 0.2\nt h e\n",  // three tokens
            "#version: 0.2\nt \u{2603}\n",  // a token the vocabulary lacks
            "#version: 0.2\nz q\n",  // "zq" is not a token
        ]
        for (index, text) in mergeCases.enumerated() {
            let path = folder.write("merges\(index).txt", text)
            expectError(naming: path) { () throws(TokenizerError) in
                _ = try BPEVocabulary.loadHuggingFace(vocabPath: vocabPath, mergesPath: path)
            }
        }
        let missing = folder.path + "/nothing.txt"
        expectError(naming: missing) { () throws(TokenizerError) in
            _ = try BPEVocabulary.loadHuggingFace(vocabPath: vocabPath, mergesPath: missing)
        }
    }

    @Test func tokenizerJSONFiles() throws {
        let folder = ScratchFolder()
        let good = FileWriting.tokenizerJSON(TinyVocabulary.tokens, TinyVocabulary.merges, pairs: false)
        _ = try BPEVocabulary.loadTokenizerJSON(path: folder.write("good.json", good))
        let vocab = FileWriting.vocabJSON(TinyVocabulary.tokens)
        let cases = [
            "{}", "[]", "{\"model\": 3}", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}",
            "{\"model\": {\"type\": \"BPE\", \"merges\": []}}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": \(vocab)}}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": \(vocab), \"merges\": [\"t h e\"]}}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": \(vocab), \"merges\": [[\"t\"]]}}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": \(vocab), \"merges\": [7]}}",
            "{\"model\": {\"type\": \"BPE\", \"vocab\": \(vocab), \"merges\": [\"z q\"]}}",
            "{\"model\": {\"type\": \"BPE\", \"end_of_word_suffix\": \"##\", \"vocab\": \(vocab), \"merges\": []}}",
            "{\"added_tokens\": [{\"id\": 3, \"content\": \"<|endoftext|>\"}], \"model\": {\"vocab\": \(vocab), \"merges\": []}}",
            String(good.dropLast(3)),
        ]
        for (index, text) in cases.enumerated() {
            let path = folder.write("tokenizer\(index).json", text)
            expectError(naming: path) { () throws(TokenizerError) in _ = try BPEVocabulary.loadTokenizerJSON(path: path) }
        }
        expectError(naming: folder.path + "/tokenizer.json") { () throws(TokenizerError) in
            _ = try CLIPTokenizer(directory: folder.path)
        }
    }
}
