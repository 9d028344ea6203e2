import Synchronization

/// A llama.cpp-compatible language-model tokenizer: byte-level BPE (`gpt2`) or
/// SentencePiece BPE (`llama`), with llama.cpp's special-token handling, BOS/EOS policy
/// and detokenizer. `encode(text, addSpecial:, parseSpecial:)` gives what
/// `llama_tokenize(vocab, text, add_special, parse_special)` gives.
public final class LMTokenizer: Tokenizer, Sendable {
    public let vocabulary: LMVocabulary
    let mergeTable: BPEMergeTable?
    /// `<0xXX>` token of each byte (SentencePiece byte fallback).
    let byteTokens: [Int32]
    /// `llama_token_to_piece(special: true)` of every token (llama.cpp's piece cache).
    let pieces: [[UInt8]]
    private let sessions = Mutex<[ByteLevelBPESession]>([])

    public convenience init(_ data: LMVocabularyData, path: String) throws(TokenizerError) {
        let vocabulary = try LMVocabulary(data, path: path)
        try self.init(vocabulary: vocabulary, merges: data.merges, path: path)
    }

    public init(vocabulary: LMVocabulary, merges: [[UInt8]], path: String) throws(TokenizerError) {
        self.vocabulary = vocabulary
        switch vocabulary.model {
        case .bytePairEncoding:
            mergeTable = BPEMergeTable(vocabulary: vocabulary, merges: merges)
            byteTokens = []
        case .sentencePiece:
            mergeTable = nil
            let hex = Array("0123456789ABCDEF".utf8)
            byteTokens = try (0..<256).map { (b: Int) throws(TokenizerError) -> Int32 in
                let text: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]
                if let id = vocabulary.idOfText[text] ?? vocabulary.idOfText[[UInt8(b)]] { return id }
                // llama.cpp throws here (token_to_id.at); the unknown token is the closest thing.
                if let unk = vocabulary.unknownID { return unk }
                throw .malformedTokenizerMetadata(path: path, key: "tokenizer.ggml.tokens", reason: "no byte-fallback token <0x\(String(b, radix: 16, uppercase: true))> and no unknown token")
            }
        }
        pieces = (0..<vocabulary.count).map { LMTokenizer.piece(Int32($0), vocabulary) }
    }

    public var vocabularySize: Int { vocabulary.count }

    /// `encode(text, addSpecial: true, parseSpecial: true)`: what a prompt (chat template
    /// output with special tokens written in it) needs.
    public func encode(_ text: String) throws -> [Int32] {
        encode(text, addSpecial: true, parseSpecial: true)
    }

    /// Token ids of `text` as llama.cpp's `llama_tokenize` gives them. `addSpecial` adds
    /// BOS/EOS where the vocabulary asks for them; `parseSpecial` matches control tokens
    /// written in the text (user-defined tokens are always matched).
    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        encode(bytes: Array(text.utf8), addSpecial: addSpecial, parseSpecial: parseSpecial)
    }

    /// The same for UTF-8 bytes (which must be valid UTF-8 for llama.cpp-equal results).
    public func encode(bytes: [UInt8], addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        let v = vocabulary
        let fragments = LMSpecialTokenSplitter.split(bytes, vocabulary: v, parseSpecial: parseSpecial)
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 4)
        switch v.model {
        case .sentencePiece:
            if addSpecial && v.addBOS, let bos = v.bosID { output.append(bos) }
            var previousWasSpecial = true
            var session = SentencePieceSession()
            for fragment in fragments {
                switch fragment {
                case .token(let id):
                    output.append(id)
                    previousWasSpecial = true
                case .text(let range):
                    var text: [UInt8] = []
                    text.reserveCapacity(range.count + 8)
                    if v.addSpacePrefix && previousWasSpecial { text += [0xE2, 0x96, 0x81] }
                    for b in bytes[range] {
                        if b == 0x20 { text += [0xE2, 0x96, 0x81] } else { text.append(b) }
                    }
                    session.encode(text, vocabulary: v, byteTokens: byteTokens, into: &output)
                    previousWasSpecial = false
                }
            }
            if addSpecial && v.addEOS, let eos = v.eosID { output.append(eos) }
        case .bytePairEncoding(let settings):
            let table = mergeTable!
            if addSpecial && v.addBOS, let bos = v.bosID { output.append(bos) }
            var session = sessions.withLock { $0.popLast() } ?? ByteLevelBPESession()
            for fragment in fragments {
                switch fragment {
                case .token(let id):
                    output.append(id)
                case .text(let range):
                    encodeBPE(bytes[range], settings, table, &session, &output)
                }
            }
            sessions.withLock { if $0.count < 4 { $0.append(session) } }
            if addSpecial && v.addEOS, let eos = v.eosID { output.append(eos) }
        }
        return output
    }

    private func encodeBPE(
        _ fragment: ArraySlice<UInt8>, _ settings: LMPreTokenizerSettings, _ table: BPEMergeTable,
        _ session: inout ByteLevelBPESession, _ output: inout [Int32]
    ) {
        // Code points and the byte offset of each (llama.cpp decodes the fragment the same way).
        let bytes = Array(fragment)
        var cps: [UInt32] = []
        var offsets: [Int] = []
        cps.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var i = 0
        while i < bytes.count {
            offsets.append(i)
            if let (scalar, length) = decodeUTF8Scalar(bytes, at: i) {
                cps.append(scalar.value)
                i += length
            } else {
                cps.append(0xFFFD)  // llama.cpp's unicode_cpts_from_utf8 does the same per bad byte
                i += 1
            }
        }
        offsets.append(bytes.count)
        settings.kind.split(cps) { range in
            let word = bytes[offsets[range.lowerBound]..<offsets[range.upperBound]]
            if settings.ignoresMerges {
                var encoded: [UInt8] = []
                for b in word { encodeUTF8(CollectionOfOne(ByteLevel.scalarOfByte[Int(b)].value), into: &encoded) }
                if let id = vocabulary.idOfText[encoded] {
                    output.append(id)
                    return
                }
            }
            session.encode(word: word, table: table, into: &output)
        }
    }
}
