/// Turns generated ids into text as they arrive, emitting only complete UTF-8: a piece that
/// ends inside a multi-byte character (an emoji or CJK character split across tokens, or a
/// byte-fallback token) is held back until the rest arrives. Pieces are llama.cpp's
/// `llama_token_to_piece`; the first piece loses one leading space when the vocabulary adds a
/// space prefix (as llama_detokenize does). The clean_spaces passes of a whole-text
/// detokenize are not applied (they would need text that is already emitted).
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: LMTokenizer
    /// Render control tokens (`<|im_end|>`) as their text.
    public let renderSpecial: Bool
    private var pending: [UInt8] = []
    private var first = true

    public init(tokenizer: LMTokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Bytes held back so far (an incomplete character).
    public var pendingByteCount: Int { pending.count }

    /// Adds one token; returns the text that is complete now (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        var piece = tokenizer.piece(id, special: renderSpecial)[...]
        if first && tokenizer.vocabulary.addSpacePrefix && piece.first == 0x20 { piece = piece.dropFirst() }
        first = false
        pending += piece
        return takeComplete()
    }

    /// Ends the stream: whatever is held back, with invalid bytes as U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Emits everything up to the start of a trailing incomplete (but so far valid) sequence.
    /// Invalid bytes are not held back: they are emitted as U+FFFD.
    private mutating func takeComplete() -> String {
        var cut = pending.count
        // Look back at most 3 bytes for a lead byte whose sequence is not complete yet.
        var k = pending.count - 1
        while k >= 0 && k >= pending.count - 4 {
            let b = pending[k]
            if b & 0xC0 != 0x80 {  // a lead byte or ASCII
                let need = utf8Length(b)
                if b >= 0xC2 && b <= 0xF4 && pending.count - k < need && isValidPrefix(pending[k...]) { cut = k }
                break
            }
            k -= 1
        }
        let out = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeSubrange(..<cut)
        return out
    }

    /// Whether `bytes` (lead byte first, shorter than its sequence) can still become valid.
    private func isValidPrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        let lead = bytes[bytes.startIndex]
        for (offset, b) in bytes.dropFirst().enumerated() {
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            if offset == 0 {
                switch lead {
                case 0xE0: lower = 0xA0
                case 0xED: upper = 0x9F
                case 0xF0: lower = 0x90
                case 0xF4: upper = 0x8F
                default: break
                }
            }
            if b < lower || b > upper { return false }
        }
        return true
    }
}
