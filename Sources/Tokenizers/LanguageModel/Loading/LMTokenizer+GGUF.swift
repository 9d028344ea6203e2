public import ModelFiles

extension LMVocabularyData {
    /// The `tokenizer.ggml.*` keys of a GGUF file. Missing optional keys keep llama.cpp's
    /// defaults; a key of the wrong type, a `pre` llama.cpp does not know (or that is not
    /// implemented here) or a model other than `gpt2`/`llama` is an error naming the file.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        let path = file.path
        func wrap<T>(_ key: String, _ body: () throws(ModelFileError) -> T) throws(TokenizerError) -> T {
            do {
                return try body()
            } catch {
                if case .badValue(_, _, let reason) = error { throw .malformedTokenizerMetadata(path: path, key: key, reason: reason) }
                throw .malformedTokenizerMetadata(path: path, key: key, reason: "\(error)")
            }
        }
        func has(_ key: String) -> Bool { file.metadata[key] != nil }

        let modelKey = "tokenizer.ggml.model"
        guard has(modelKey) else { throw .malformedTokenizerMetadata(path: path, key: modelKey, reason: "missing") }
        let modelName = try wrap(modelKey) { () throws(ModelFileError) in try file.string(modelKey) }
        let model: Model
        var merges: [[UInt8]] = []
        switch modelName {
        case "gpt2":
            let preKey = "tokenizer.ggml.pre"
            let pre = has(preKey) ? try wrap(preKey) { () throws(ModelFileError) in try file.string(preKey) } : ""
            guard let settings = LMPreTokenizerSettings(ggufName: pre) else { throw .unknownPreTokenizer(path: path, name: pre) }
            model = .bytePairEncoding(settings)
            let mergesKey = "tokenizer.ggml.merges"
            guard has(mergesKey) else { throw .malformedTokenizerMetadata(path: path, key: mergesKey, reason: "missing (a gpt2 vocabulary needs merges)") }
            merges = try wrap(mergesKey) { () throws(ModelFileError) in try file.strings(mergesKey) }.map { Array($0.utf8) }
        case "llama":
            model = .sentencePiece
        default:
            throw .unsupportedTokenizerModel(path: path, model: modelName)
        }
        let tokensKey = "tokenizer.ggml.tokens"
        guard has(tokensKey) else { throw .malformedTokenizerMetadata(path: path, key: tokensKey, reason: "missing") }
        let tokens = try wrap(tokensKey) { () throws(ModelFileError) in try file.strings(tokensKey) }.map { Array($0.utf8) }
        self.init(model: model, tokens: tokens, merges: merges)
        let scoresKey = "tokenizer.ggml.scores"
        if has(scoresKey) {
            // float32, or int32 as llama.cpp also accepts.
            let values = try wrap(scoresKey) { () throws(ModelFileError) in try file.array(scoresKey) }
            var scores: [Float] = []
            scores.reserveCapacity(values.count)
            for value in values {
                if let d = value.doubleValue { scores.append(Float(d)) } else if let i = value.intValue { scores.append(Float(i)) } else {
                    throw .malformedTokenizerMetadata(path: path, key: scoresKey, reason: "expected an array of float32 or int32")
                }
            }
            self.scores = scores
        }
        let typesKey = "tokenizer.ggml.token_type"
        if has(typesKey) { tokenTypes = try wrap(typesKey) { () throws(ModelFileError) in try file.ints(typesKey) } }
        let roles: [(String, String)] = [
            ("bos", "bos_token_id"), ("eos", "eos_token_id"), ("eot", "eot_token_id"), ("eom", "eom_token_id"),
            ("unk", "unknown_token_id"), ("sep", "seperator_token_id"), ("pad", "padding_token_id"), ("mask", "mask_token_id"),
            ("fim_pre", "fim_pre_token_id"), ("fim_suf", "fim_suf_token_id"), ("fim_mid", "fim_mid_token_id"),
            ("fim_pad", "fim_pad_token_id"), ("fim_rep", "fim_rep_token_id"), ("fim_sep", "fim_sep_token_id"),
            ("fim_pre", "prefix_token_id"), ("fim_suf", "suffix_token_id"), ("fim_mid", "middle_token_id"),
        ]
        for (role, name) in roles {
            let key = "tokenizer.ggml." + name
            guard has(key) else { continue }
            specialIDs[role] = try wrap(key) { () throws(ModelFileError) in try file.int(key) }
        }
        for (key, assign) in [
            ("tokenizer.ggml.add_bos_token", { (d: inout LMVocabularyData, v: Bool) in d.addBOS = v }),
            ("tokenizer.ggml.add_eos_token", { (d: inout LMVocabularyData, v: Bool) in d.addEOS = v }),
            ("tokenizer.ggml.add_space_prefix", { (d: inout LMVocabularyData, v: Bool) in d.addSpacePrefix = v }),
        ] where has(key) {
            assign(&self, try wrap(key) { () throws(ModelFileError) in try file.bool(key) })
        }
    }
}

extension LMTokenizer {
    /// The tokenizer of a GGUF model file (its `tokenizer.ggml.*` metadata).
    public convenience init(gguf file: GGUFFile) throws(TokenizerError) {
        try self.init(LMVocabularyData(gguf: file), path: file.path)
    }

    /// Opens a GGUF file and builds its tokenizer.
    public convenience init(ggufPath path: String) throws(TokenizerError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            if case .cannotOpen(_, let reason) = error { throw .unreadableFile(path: path, reason: reason) }
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        try self.init(gguf: file)
    }
}
