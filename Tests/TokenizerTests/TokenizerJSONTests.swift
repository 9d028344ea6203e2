import Testing
@testable import Tokenizers

/// A checkpoint's HF tokenizer.json must tokenize exactly like the GGUF converted from it.
struct TokenizerJSONTests {
    @Test(arguments: ["llama-gqa-untied", "qwen2-gqa-tied-qkvbias"])
    func tokenizerJSONMatchesGGUF(_ model: String) throws {
        let directory = LMFixtures.tinyDirectory + "/" + model
        let fromJSON = try LMTokenizer(tokenizerJSONPath: directory + "/hf/tokenizer.json")
        let fromGGUF = try LMTokenizer(ggufPath: directory + "/model-f32.gguf")
        #expect(fromJSON.vocabularySize == fromGGUF.vocabularySize)
        #expect(fromJSON.vocabulary.tokens == fromGGUF.vocabulary.tokens)
        #expect(fromJSON.vocabulary.attributes == fromGGUF.vocabulary.attributes)
        #expect(fromJSON.vocabulary.eosID == fromGGUF.vocabulary.eosID)
        #expect(fromJSON.vocabulary.addBOS == fromGGUF.vocabulary.addBOS)
        let lines = try LMFixtures.jsonLines(LMFixtures.qwenDirectory + "/tokenization.jsonl")
        for line in lines {
            let text = try #require(line[member: "text"]?.text)
            for (add, parse) in [(false, true), (false, false), (true, true)] {
                let a = fromJSON.encode(text, addSpecial: add, parseSpecial: parse)
                let b = fromGGUF.encode(text, addSpecial: add, parseSpecial: parse)
                #expect(a == b, "\(model): \(text.debugDescription)")
                #expect(fromJSON.detokenize(a) == fromGGUF.detokenize(b))
            }
        }
    }

    @Test func unknownSplitPatternIsNamed() throws {
        let scratch = ScratchFolder()
        let path = scratch.write("tokenizer.json", #"""
            {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]},
             "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"},
               {"type": "ByteLevel", "use_regex": false}]}}
            """#)
        #expect(throws: TokenizerError.unknownPreTokenizer(path: path, name: #"\w+"#)) {
            try LMTokenizer(tokenizerJSONPath: path)
        }
    }
}
