extension BPEVocabulary {
    /// Merges CLIP uses from OpenAI's file: 49,152 tokens minus the 256 byte
    /// characters and the 2 special tokens.
    public static let openAIMergeCount = 49_152 - 256 - 2

    /// OpenAI's `bpe_simple_vocab_16e6.txt.gz`, built as simple_tokenizer.py does:
    /// the 256 byte characters, the same with `</w>`, one token per merge (the pair
    /// joined) for the first 48,894 merges after the header line, then
    /// `<|startoftext|>` and `<|endoftext|>` (49,408 tokens).
    public static func loadOpenAI(gzipPath path: String) throws(TokenizerError) -> BPEVocabulary {
        let bytes = try Gzip.decompress(readFileBytes(path), path: path)
        let lines = try MergeLines.split(bytes, path: path)
        var merges: [([Unicode.Scalar], [Unicode.Scalar])] = []
        merges.reserveCapacity(openAIMergeCount)
        for index in 1..<min(lines.count, openAIMergeCount + 1) {
            merges.append(try MergeLines.pair(lines[index], path: path, line: index + 1))
        }
        guard merges.count == openAIMergeCount else {
            throw .malformedMerges(path: path, line: lines.count, reason:
                "has \(merges.count) merge lines; CLIP needs \(openAIMergeCount) after the header")
        }
        let bytesFirst = ByteLevel.byteOrder.map { [ByteLevel.scalarOfByte[Int($0)]] }
        var tokens: [[Unicode.Scalar]?] = bytesFirst + bytesFirst.map { $0 + endOfWord }
        tokens += merges.map { $0.0 + $0.1 }
        tokens += [startToken, endToken]
        do {
            return try BPEVocabulary(tokens: tokens, merges: merges)
        } catch {
            // Token ids past the byte characters are merge lines (line 2 is merge 0).
            switch error {
            case .duplicateToken(_, _, let second) where second >= 512 && second < 512 + openAIMergeCount:
                throw .malformedMerges(path: path, line: second - 512 + 2, reason: error.reason)
            case .merge(let index, _):
                throw .malformedMerges(path: path, line: index + 2, reason: error.reason)
            default:
                throw .malformedMerges(path: path, line: 1, reason: error.reason)
            }
        }
    }
}

/// Line handling shared by the merges files.
enum MergeLines {
    /// The file split at "\n" (a final "\r" removed from each line), strictly UTF-8.
    static func split(_ bytes: [UInt8], path: String) throws(TokenizerError) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        for (number, raw) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = Array(raw)
            if line.last == 0x0D { line.removeLast() }
            guard let codePoints = decodeUTF8Strict(line) else {
                throw .malformedMerges(path: path, line: number + 1, reason: "not valid UTF-8")
            }
            lines.append(codePoints.map { Unicode.Scalar($0)! })
        }
        return lines
    }

    /// A merge line: two tokens separated by whitespace (Python's str.split()).
    static func pair(_ line: [Unicode.Scalar], path: String, line number: Int) throws(TokenizerError) -> ([Unicode.Scalar], [Unicode.Scalar]) {
        let classes = CharacterClasses.shared
        let parts = line.split { classes.flags($0.value).contains(.pythonSpace) }
        guard parts.count == 2 else {
            throw .malformedMerges(path: path, line: number, reason:
                "expected two tokens separated by a space, found \(parts.count): \(quoted(line))")
        }
        return (Array(parts[0]), Array(parts[1]))
    }
}
