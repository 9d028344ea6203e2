extension LMVocabularyData {
    /// A Hugging Face `tokenizer.json` with a BPE model and a byte-level pre-tokenizer, mapped
    /// as llama.cpp's convert_hf_to_gguf.py maps it: `model.vocab` + `added_tokens` (special ->
    /// control, others -> user-defined), `model.merges`, and the pre-tokenizer recognised from its
    /// Split regex (Qwen2, Llama 3) or a plain ByteLevel with use_regex (GPT-2). BOS/EOS and
    /// add_bos/add_eos come from `tokenizer_config.json` beside it, when present.
    public init(tokenizerJSONPath path: String) throws(TokenizerError) {
        func fail(_ reason: String) -> TokenizerError { .malformedTokenizerJSON(path: path, reason: reason) }
        let root: JSONValue
        do { root = try JSONReader.parse(try readFileBytes(path)) } catch let error as JSONReader.Failure {
            throw fail(error.message)
        } catch let error as TokenizerError { throw error } catch { throw fail("\(error)") }
        guard let model = root[member: "model"], case .object = model else { throw fail("no \"model\" object") }
        if let type = model[member: "type"]?.scalarString, type != "BPE" {
            throw .unsupportedTokenizerModel(path: path, model: type)
        }
        if case .bool(true) = model[member: "byte_fallback"] ?? .null { throw fail("byte_fallback BPE is not supported") }
        guard case .object(let vocab) = model[member: "vocab"] ?? .null else { throw fail("model.vocab must be an object") }

        var byID: [Int: [UInt8]] = [:]
        var types: [Int: Int] = [:]
        for (key, value) in vocab {
            guard let id = value.intValue, id >= 0 else { throw fail("model.vocab: \(quoted(key)) has no valid id") }
            byID[id] = utf8(key)
            types[id] = 1
        }
        var addedIDs: [String: Int] = [:]
        if case .array(let added) = root[member: "added_tokens"] ?? .null {
            for item in added {
                guard let id = item[member: "id"]?.intValue, id >= 0, let content = item[member: "content"]?.scalarString else {
                    throw fail("each added token needs an integer \"id\" and a string \"content\"")
                }
                byID[id] = Array(content.utf8)
                let special = if case .bool(true) = item[member: "special"] ?? .null { true } else { false }
                types[id] = special ? 3 : 4
                addedIDs[content] = id
            }
        }
        let count = (byID.keys.max() ?? -1) + 1
        guard count > 0 else { throw fail("the vocabulary is empty") }
        var tokens: [[UInt8]] = []
        var tokenTypes: [Int] = []
        for id in 0..<count {
            // Holes are filled as convert_hf_to_gguf.py does: "[PAD<id>]", unused.
            tokens.append(byID[id] ?? Array("[PAD\(id)]".utf8))
            tokenTypes.append(types[id] ?? 5)
        }

        guard case .array(let mergeItems) = model[member: "merges"] ?? .null else { throw fail("model.merges must be an array") }
        var merges: [[UInt8]] = []
        merges.reserveCapacity(mergeItems.count)
        for (index, item) in mergeItems.enumerated() {
            switch item {
            case .string(let text): merges.append(utf8(text))
            case .array(let pair):
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw fail("merge \(index) must be a pair of two strings")
                }
                merges.append(utf8(a) + [0x20] + utf8(b))
            default: throw fail("merge \(index) is \(item.kindName), not a string or a pair")
            }
        }

        var settings = try Self.preTokenizer(root[member: "pre_tokenizer"] ?? .null, path: path)
        if case .bool(true) = model[member: "ignore_merges"] ?? .null { settings.ignoresMerges = true }
        self.init(model: .bytePairEncoding(settings), tokens: tokens, tokenTypes: tokenTypes, merges: merges)

        // tokenizer_config.json: bos/eos/pad tokens and add_bos/add_eos.
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let configPath = joinPath(directory, "tokenizer_config.json")
        guard isRegularFile(configPath) else { return }
        let config: JSONValue
        do { config = try JSONReader.parse(try readFileBytes(configPath)) } catch let error as JSONReader.Failure {
            throw .malformedTokenizerJSON(path: configPath, reason: error.message)
        } catch let error as TokenizerError { throw error } catch { throw .malformedTokenizerJSON(path: configPath, reason: "\(error)") }
        let vocabIDs = Dictionary(tokens.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        for (role, key) in [("bos", "bos_token"), ("eos", "eos_token"), ("pad", "pad_token"), ("unk", "unk_token")] {
            guard let value = config[member: key] else { continue }
            let text = value.scalarString ?? value[member: "content"]?.scalarString
            guard let text else { continue }
            guard let id = vocabIDs[Array(text.utf8)] else {
                throw .malformedTokenizerJSON(path: configPath, reason: "\(key) \(quoted(text.unicodeScalars)) is not in the vocabulary")
            }
            specialIDs[role] = id
        }
        if case .bool(let v) = config[member: "add_bos_token"] ?? .null { addBOS = v }
        if case .bool(let v) = config[member: "add_eos_token"] ?? .null { addEOS = v }
    }

    /// The pre-tokenizer settings of a tokenizer.json `pre_tokenizer`.
    static func preTokenizer(_ value: JSONValue, path: String) throws(TokenizerError) -> LMPreTokenizerSettings {
        let qwen2 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        let llama3 = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        var steps: [JSONValue] = []
        if value[member: "type"]?.scalarString == "Sequence", case .array(let items) = value[member: "pretokenizers"] ?? .null {
            steps = items
        } else if case .object = value {
            steps = [value]
        }
        var regexes: [String] = []
        var byteLevelRegex = false
        var sawByteLevel = false
        for step in steps {
            switch step[member: "type"]?.scalarString {
            case "Split":
                guard let pattern = step[member: "pattern"]?[member: "Regex"]?.scalarString else {
                    throw .unknownPreTokenizer(path: path, name: "Split without a regex")
                }
                regexes.append(pattern)
            case "ByteLevel":
                sawByteLevel = true
                if case .bool(false) = step[member: "use_regex"] ?? .null {} else { byteLevelRegex = true }
            case let other:
                throw .unknownPreTokenizer(path: path, name: other ?? "(no type)")
            }
        }
        guard sawByteLevel else { throw .unknownPreTokenizer(path: path, name: "a pre-tokenizer without ByteLevel") }
        switch (regexes, byteLevelRegex) {
        case ([qwen2], false): return LMPreTokenizerSettings(kind: .qwen2, cleansSpaces: false)
        case ([llama3], false): return LMPreTokenizerSettings(kind: .llama3, ignoresMerges: true, addsBOSByDefault: true)
        case ([], true): return LMPreTokenizerSettings(kind: .gpt2)
        default: throw .unknownPreTokenizer(path: path, name: regexes.first ?? "ByteLevel")
        }
    }
}

extension LMTokenizer {
    /// The tokenizer of a Hugging Face checkpoint's `tokenizer.json` (see
    /// `LMVocabularyData.init(tokenizerJSONPath:)`), on the same implementation as GGUF files.
    public convenience init(tokenizerJSONPath path: String) throws(TokenizerError) {
        try self.init(LMVocabularyData(tokenizerJSONPath: path), path: path)
    }
}

extension JSONValue {
    /// A string value as Swift text (scalars preserved).
    fileprivate var scalarString: String? {
        guard case .string(let scalars) = self else { return nil }
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars)
        return s
    }
}

private func utf8(_ scalars: [Unicode.Scalar]) -> [UInt8] {
    var out: [UInt8] = []
    encodeUTF8(scalars.map(\.value), into: &out)
    return out
}
