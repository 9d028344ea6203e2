/// OpenAI CLIP's tokenizer, giving the ids of Hugging Face's `CLIPTokenizer`
/// (the Python one, with ftfy installed) for `tokenizer(text, truncation=True,
/// max_length: contextLength)`:
///
/// 1. the text is split at the literal special tokens `<|startoftext|>` and
///    `<|endoftext|>` (exact and case-sensitive, as added tokens are);
/// 2. every other piece gets ftfy.fix_text, whitespace collapse and strip, and
///    Python's lower();
/// 3. the pre-tokenisation pattern splits it, each pre-token's UTF-8 bytes go
///    through byte-level BPE with `</w>` ending the word;
/// 4. the ids are cut to `contextLength - 2` and wrapped in the start and end tokens.
public final class CLIPTokenizer: Tokenizer {
    public static let defaultContextLength = 77

    public let vocabulary: BPEVocabulary
    /// Length of every encoding at most, start and end tokens included.
    public let contextLength: Int
    private let bpe: BytePairEncoder

    public init(vocabulary: BPEVocabulary, contextLength: Int = defaultContextLength) throws(TokenizerError) {
        guard contextLength >= 2 else { throw .invalidContextLength(contextLength) }
        self.vocabulary = vocabulary
        self.contextLength = contextLength
        bpe = BytePairEncoder(vocabulary: vocabulary)
    }

    public var vocabularySize: Int { vocabulary.count }
    public var startTokenID: Int32 { vocabulary.startID }
    public var endTokenID: Int32 { vocabulary.endID }

    /// Start token, at most `contextLength - 2` text tokens, end token.
    public func encode(_ text: String) -> [Int32] {
        let body = tokenIDs(text, limit: contextLength - 2)
        return [vocabulary.startID] + body + [vocabulary.endID]
    }

    /// The text's token ids without start/end tokens or truncation.
    public func tokenIDs(_ text: String) -> [Int32] {
        tokenIDs(text, limit: .max)
    }

    /// Token ids, stopping once `limit` are known: the ones after would be cut anyway.
    /// Pieces between special tokens are independent, so stopping early is exact.
    private func tokenIDs(_ text: String, limit: Int) -> [Int32] {
        var ids: [Int32] = []
        for piece in SpecialTokenSplitter.split(text.unicodeScalars.map(\.value)) {
            if ids.count >= limit { break }
            switch piece {
            case .start: ids.append(vocabulary.startID)
            case .end: ids.append(vocabulary.endID)
            case .text(let codePoints): appendTextIDs(codePoints, to: &ids)
            }
        }
        return Array(ids.prefix(limit))
    }

    private func appendTextIDs(_ codePoints: [UInt32], to ids: inout [Int32]) {
        var bytes: [UInt8] = []
        PreTokenizer.forEachToken(TextCleaner.clean(codePoints)) { token in
            bytes.removeAll(keepingCapacity: true)
            encodeUTF8(token, into: &bytes)
            // The reference's BPE cache starts out holding the special tokens, so a
            // pre-token spelling one (e.g. from "<|ENDOFTEXT|>" lowered) is that token.
            if bytes.elementsEqual("<|startoftext|>".utf8) {
                ids.append(vocabulary.startID)
            } else if bytes.elementsEqual("<|endoftext|>".utf8) {
                ids.append(vocabulary.endID)
            } else {
                ids += bpe.encode(word: bytes)
            }
        }
    }

    /// The text of `ids` without start and end tokens, each `</w>` a space, and
    /// the spaces at either end removed. Bytes that are not valid UTF-8 become U+FFFD;
    /// unknown ids are skipped.
    public func decode(_ ids: [Int32]) -> String {
        decode(ids, skipSpecialTokens: true)
    }

    public func decode(_ ids: [Int32], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && (id == vocabulary.startID || id == vocabulary.endID) { continue }
            guard let token = vocabulary.token(of: id) else { continue }
            for scalar in token {
                if let byte = ByteLevel.byte(of: scalar) {
                    bytes.append(byte)
                } else {
                    encodeUTF8([scalar.value], into: &bytes)
                }
            }
        }
        // "</w>" is ASCII, so replacing it before UTF-8 decoding equals the
        // reference's replacing it after.
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<") && bytes[i...].starts(with: "</w>".utf8) {
                text.append(0x20)
                i += 4
            } else {
                text.append(bytes[i])
                i += 1
            }
        }
        let start = text.firstIndex { $0 != 0x20 } ?? text.count
        let end = (text.lastIndex { $0 != 0x20 } ?? -1) + 1
        return String(decoding: text[start..<max(start, end)], as: UTF8.self)
    }
}

/// Splits raw text at the special tokens, as the Python tokenizer's added-token
/// matching does before any clean-up.
enum SpecialTokenSplitter {
    enum Piece {
        case start, end
        case text([UInt32])
    }

    private static let start = Array("<|startoftext|>".unicodeScalars.map(\.value))
    private static let end = Array("<|endoftext|>".unicodeScalars.map(\.value))

    static func split(_ text: [UInt32]) -> [Piece] {
        var pieces: [Piece] = []
        var pieceStart = 0
        var i = 0
        while i < text.count {
            if text[i] == 0x3C {
                let special: (Piece, Int)? =
                    text[i...].starts(with: start) ? (.start, start.count)
                    : text[i...].starts(with: end) ? (.end, end.count) : nil
                if let (piece, length) = special {
                    if pieceStart < i { pieces.append(.text(Array(text[pieceStart..<i]))) }
                    pieces.append(piece)
                    i += length
                    pieceStart = i
                    continue
                }
            }
            i += 1
        }
        if pieceStart < text.count { pieces.append(.text(Array(text[pieceStart...]))) }
        return pieces
    }
}
