extension BPEVocabulary {
    /// A Hugging Face `tokenizer.json` whose model is BPE: `model.vocab` (token -> id),
    /// `model.merges` (either "a b" strings or ["a", "b"] pairs) and `added_tokens`
    /// (used for tokens model.vocab lacks). The pipeline settings in the file are
    /// not read: CLIP's are built in.
    public static func loadTokenizerJSON(path: String) throws(TokenizerError) -> BPEVocabulary {
        func fail(_ reason: String) -> TokenizerError { .malformedTokenizerJSON(path: path, reason: reason) }
        let bytes = try readFileBytes(path)
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw fail(error.message)
        }
        guard case .object = root, let model = root[member: "model"] else { throw fail("no \"model\" object") }
        guard case .object = model else { throw fail("\"model\" is \(model.kindName), not an object") }
        if let type = model[member: "type"] {
            guard case .string(let name) = type, name == Array("BPE".unicodeScalars) else {
                throw fail("model type must be \"BPE\"")
            }
        }
        if let suffix = model[member: "end_of_word_suffix"], case .string(let value) = suffix, value != endOfWord {
            throw fail("end_of_word_suffix is \(quoted(value)); CLIP's BPE needs \"</w>\"")
        }
        guard let vocab = model[member: "vocab"], case .object(var members) = vocab else {
            throw fail("model.vocab must be an object of token -> id")
        }
        if let added = root[member: "added_tokens"] {
            guard case .array(let items) = added else { throw fail("added_tokens must be an array") }
            for item in items {
                guard let id = item[member: "id"]?.intValue, let content = item[member: "content"],
                    case .string(let token) = content
                else { throw fail("each added token needs an integer \"id\" and a string \"content\"") }
                if let existing = members.first(where: { $0.key == token }) {
                    guard existing.value.intValue == id else {
                        throw fail("added token \(quoted(token)) has id \(id) but model.vocab says \(existing.value.intValue.map(String.init) ?? "otherwise")")
                    }
                } else {
                    members.append((token, .number(Array(String(id).utf8))))
                }
            }
        }
        let tokens: [[Unicode.Scalar]?]
        do {
            tokens = try tokenTable(members)
        } catch {
            throw fail("model.vocab: \(error.message)")
        }
        guard let mergeList = model[member: "merges"], case .array(let items) = mergeList else {
            throw fail("model.merges must be an array")
        }
        var merges: [([Unicode.Scalar], [Unicode.Scalar])] = []
        merges.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let text):
                let parts = text.split(separator: " ")
                guard parts.count == 2 else { throw fail("merge \(index) is \(quoted(text)), not \"a b\"") }
                merges.append((Array(parts[0]), Array(parts[1])))
            case .array(let pair):
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw fail("merge \(index) must be a pair of two strings")
                }
                merges.append((a, b))
            default:
                throw fail("merge \(index) is \(item.kindName), not a string or a pair")
            }
        }
        do {
            return try BPEVocabulary(tokens: tokens, merges: merges)
        } catch {
            if case .merge(let index, _) = error { throw fail("merge \(index): \(error.reason)") }
            throw fail(error.reason)
        }
    }
}
