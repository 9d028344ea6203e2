/// A language-model vocabulary with llama.cpp's loader rules applied (llama-vocab.cpp
/// `load`, 0c1e57098): token texts keyed by bytes, attributes, scores, special ids, the
/// BOS/EOS policy, the end-of-generation set, and the special tokens matched in text.
public final class LMVocabulary: Sendable {
    public let model: LMVocabularyData.Model
    /// Token texts by id (bytes; an empty text becomes "[EMPTY_<id>]" as in llama.cpp).
    public let tokens: [[UInt8]]
    public let scores: [Float]
    public let attributes: [LMTokenAttributes]
    let idOfText: [[UInt8]: Int32]
    public let bosID: Int32?
    public let eosID: Int32?
    public let unknownID: Int32?
    public let paddingID: Int32?
    public let addBOS: Bool
    public let addEOS: Bool
    public let addSpacePrefix: Bool
    /// Tokens that end generation (llama.cpp's `special_eog_ids`).
    public let endOfGenerationIDs: Set<Int32>
    /// Control, user-defined and unknown tokens, longest text first (ties by id).
    let textMatchedTokens: [Int32]

    public var count: Int { tokens.count }

    /// Applies llama.cpp's rules to `data`; `path` names the file in errors.
    public init(_ data: LMVocabularyData, path: String) throws(TokenizerError) {
        func fail(_ key: String, _ reason: String) -> TokenizerError {
            .malformedTokenizerMetadata(path: path, key: key, reason: reason)
        }
        let n = data.tokens.count
        guard n > 0 else { throw fail("tokenizer.ggml.tokens", "the vocabulary is empty") }
        guard n < Int(Int32.max) else { throw fail("tokenizer.ggml.tokens", "too many tokens (\(n))") }
        if let scores = data.scores, scores.count < n {
            throw fail("tokenizer.ggml.scores", "\(scores.count) scores for \(n) tokens")
        }
        if let types = data.tokenTypes, types.count < n {
            throw fail("tokenizer.ggml.token_type", "\(types.count) token types for \(n) tokens")
        }
        var tokens = data.tokens
        var idOfText: [[UInt8]: Int32] = [:]
        idOfText.reserveCapacity(n)
        var attributes = [LMTokenAttributes](repeating: .normal, count: n)
        for id in 0..<n {
            if tokens[id].isEmpty { tokens[id] = Array("[EMPTY_\(id)]".utf8) }
            if let earlier = idOfText.updateValue(Int32(id), forKey: tokens[id]) {
                throw fail("tokenizer.ggml.tokens", "token \(quoted(String(decoding: tokens[id], as: UTF8.self).unicodeScalars)) appears twice (ids \(earlier) and \(id))")
            }
            if let types = data.tokenTypes { attributes[id] = LMTokenAttributes(ggufTokenType: types[id]) }
        }

        // Defaults per model, then metadata ids that are in range.
        var ids: [String: Int32] = [:]
        let addBOSDefault: Bool
        var addSpacePrefix: Bool
        switch data.model {
        case .sentencePiece:
            ids = ["bos": 1, "eos": 2, "unk": 0]
            addBOSDefault = true
            addSpacePrefix = true
        case .bytePairEncoding(let settings):
            ids = ["bos": 11, "eos": 11]
            addBOSDefault = settings.addsBOSByDefault
            addSpacePrefix = false
        }
        for (role, id) in ids where Int(id) >= n { ids[role] = nil }
        for (role, id) in data.specialIDs where id >= 0 && id < n { ids[role] = Int32(id) }
        if let value = data.addSpacePrefix { addSpacePrefix = value }

        // Tokens recognised by their text (llama.cpp forces them to control).
        func firstID(_ names: [String]) -> Int32? {
            let keys = names.map { Array($0.utf8) }
            return keys.compactMap { idOfText[$0] }.min()
        }
        let byRole: [(String, [String])] = [
            ("eot", ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"]),
            ("eom", ["<|eom_id|>"]),
            ("fim_pre", ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"]),
            ("fim_suf", ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"]),
            ("fim_mid", ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"]),
            ("fim_pad", ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
            ("fim_rep", ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
            ("fim_sep", ["<|file_sep|>"]),
        ]
        for (role, names) in byRole where ids[role] == nil {
            if let id = firstID(names) {
                ids[role] = id
                attributes[Int(id)].insert(.control)
            }
        }
        var eog = Set<Int32>()
        for role in ["fim_pad", "fim_rep", "fim_sep"] { if let id = ids[role] { eog.insert(id) } }
        let eogNames = [
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
            "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
            "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
        ]
        for name in eogNames {
            guard let id = idOfText[Array(name.utf8)] else { continue }
            eog.insert(id)
            attributes[Int(id)].insert(.control)
        }
        for name in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let id = idOfText[Array(name.utf8)] { attributes[Int(id)] = .userDefined }
        }
        for role in ["eos", "eot", "eom"] { if let id = ids[role] { eog.insert(id) } }
        // gemma4/plamo: a normal "</s>" next to these markers is not end-of-generation.
        let markers = ["<|tool_response>", "<|plamo:eos|>"].compactMap { idOfText[Array($0.utf8)] }
        if markers.contains(where: eog.contains), let s = idOfText[Array("</s>".utf8)], eog.contains(s) {
            eog.remove(s)
            attributes[Int(s)] = .normal
        }

        var matched = (0..<Int32(n)).filter { !attributes[Int($0)].isDisjoint(with: .matchedInText) }
        matched.sort { tokens[Int($0)].count != tokens[Int($1)].count ? tokens[Int($0)].count > tokens[Int($1)].count : $0 < $1 }

        model = data.model
        self.tokens = tokens
        scores = data.scores.map { Array($0.prefix(n)) } ?? [Float](repeating: 0, count: n)
        self.attributes = attributes
        self.idOfText = idOfText
        bosID = ids["bos"]
        eosID = ids["eos"]
        unknownID = ids["unk"]
        paddingID = ids["pad"]
        addBOS = data.addBOS ?? addBOSDefault
        addEOS = data.addEOS ?? false
        self.addSpacePrefix = addSpacePrefix
        endOfGenerationIDs = eog
        textMatchedTokens = matched
        if addBOS && bosID == nil { throw fail("tokenizer.ggml.bos_token_id", "BOS is to be added but there is no BOS token") }
        if addEOS && eosID == nil { throw fail("tokenizer.ggml.eos_token_id", "EOS is to be added but there is no EOS token") }
    }

    /// Id of a token given as bytes.
    public func id(of text: some Sequence<UInt8>) -> Int32? { idOfText[Array(text)] }
}
