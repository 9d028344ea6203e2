extension BPEVocabulary {
    /// Ids above this are refused: no real vocabulary comes close, and a crafted
    /// file must not make the loader allocate gigabytes.
    static let maxTokenID = 16_777_215

    /// Hugging Face's `vocab.json` (token -> id) and `merges.txt` (one "a b" pair
    /// per line, ranked by order). A first line starting with `#version` is a
    /// header, as the tokenizers library reads it; blank lines are skipped.
    public static func loadHuggingFace(vocabPath: String, mergesPath: String) throws(TokenizerError) -> BPEVocabulary {
        let vocabBytes = try readFileBytes(vocabPath)
        let json: JSONValue
        do {
            json = try JSONReader.parse(vocabBytes)
        } catch {
            throw .malformedVocabulary(path: vocabPath, reason: error.message)
        }
        guard case .object(let members) = json else {
            throw .malformedVocabulary(path: vocabPath, reason: "expected a JSON object of token -> id, found \(json.kindName)")
        }
        let tokens: [[Unicode.Scalar]?]
        do {
            tokens = try tokenTable(members)
        } catch {
            throw .malformedVocabulary(path: vocabPath, reason: error.message)
        }

        let lines = try MergeLines.split(readFileBytes(mergesPath), path: mergesPath)
        var merges: [([Unicode.Scalar], [Unicode.Scalar])] = []
        var lineOfMerge: [Int] = []
        for (index, line) in lines.enumerated() {
            if index == 0 && line.starts(with: "#version".unicodeScalars) { continue }
            if line.allSatisfy({ CharacterClasses.shared.flags($0.value).contains(.pythonSpace) }) { continue }
            merges.append(try MergeLines.pair(line, path: mergesPath, line: index + 1))
            lineOfMerge.append(index + 1)
        }
        do {
            return try BPEVocabulary(tokens: tokens, merges: merges)
        } catch {
            if case .merge(let index, _) = error {
                throw .malformedMerges(path: mergesPath, line: lineOfMerge[index], reason: error.reason)
            }
            throw .malformedVocabulary(path: vocabPath, reason: error.reason)
        }
    }

    struct TableFailure: Error {
        var message: String
    }

    /// Id-indexed tokens from JSON members token -> non-negative integer id.
    static func tokenTable(_ members: [(key: [Unicode.Scalar], value: JSONValue)]) throws(TableFailure) -> [[Unicode.Scalar]?] {
        var largest = -1
        var entries: [([Unicode.Scalar], Int)] = []
        entries.reserveCapacity(members.count)
        for (token, value) in members {
            guard let id = value.intValue else {
                throw TableFailure(message: "the id of token \(quoted(token)) is \(value.kindName), not an integer")
            }
            guard id >= 0 && id <= maxTokenID else {
                throw TableFailure(message: "token \(quoted(token)) has id \(id), outside 0...\(maxTokenID)")
            }
            largest = max(largest, id)
            entries.append((token, id))
        }
        var tokens = [[Unicode.Scalar]?](repeating: nil, count: largest + 1)
        for (token, id) in entries {
            if let other = tokens[id] {
                throw TableFailure(message: "id \(id) is used by both \(quoted(other)) and \(quoted(token))")
            }
            tokens[id] = token
        }
        return tokens
    }
}
