extension CLIPTokenizer {
    /// OpenAI's `bpe_simple_vocab_16e6.txt.gz`.
    public convenience init(openAIVocabularyPath path: String, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        try self.init(vocabulary: .loadOpenAI(gzipPath: path), contextLength: contextLength)
    }

    /// Hugging Face's `vocab.json` and `merges.txt`.
    public convenience init(vocabPath: String, mergesPath: String, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        try self.init(vocabulary: .loadHuggingFace(vocabPath: vocabPath, mergesPath: mergesPath), contextLength: contextLength)
    }

    /// A Hugging Face `tokenizer.json`.
    public convenience init(tokenizerJSONPath path: String, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        try self.init(vocabulary: .loadTokenizerJSON(path: path), contextLength: contextLength)
    }

    /// A model folder: `tokenizer.json` if present, else `vocab.json` + `merges.txt`,
    /// else `bpe_simple_vocab_16e6.txt.gz`.
    public convenience init(directory: String, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        let tokenizerJSON = joinPath(directory, "tokenizer.json")
        let vocab = joinPath(directory, "vocab.json"), merges = joinPath(directory, "merges.txt")
        let openAI = joinPath(directory, "bpe_simple_vocab_16e6.txt.gz")
        if isRegularFile(tokenizerJSON) {
            try self.init(tokenizerJSONPath: tokenizerJSON, contextLength: contextLength)
        } else if isRegularFile(vocab) || isRegularFile(merges) {
            try self.init(vocabPath: vocab, mergesPath: merges, contextLength: contextLength)
        } else if isRegularFile(openAI) {
            try self.init(openAIVocabularyPath: openAI, contextLength: contextLength)
        } else {
            throw .missingFile(path: tokenizerJSON)
        }
    }
}
