/// Decoding as llama.cpp's `llama_token_to_piece` and `llama_detokenize` do it.
extension LMTokenizer {
    /// The bytes of one token (`llama_token_to_piece` with lstrip 0): control and unknown
    /// tokens are empty unless `special`. Pieces can be partial UTF-8. Ids out of range are
    /// empty (llama.cpp would throw).
    public func piece(_ id: Int32, special: Bool = true) -> [UInt8] {
        guard id >= 0 && Int(id) < pieces.count else { return [] }
        if !special && !vocabulary.attributes[Int(id)].isDisjoint(with: LMTokenAttributes.special) { return [] }
        return pieces[Int(id)]
    }

    /// `llama_detokenize(ids, remove_special, unparse_special)`: the pieces concatenated; the
    /// first piece loses one leading space when the vocabulary adds a space prefix; with
    /// `removeSpecial` a leading BOS / trailing EOS the vocabulary adds is dropped; then the
    /// `clean_spaces` passes for pre-tokenizers that ask for them.
    public func detokenize(_ ids: [Int32], removeSpecial: Bool = false, unparseSpecial: Bool = true) -> [UInt8] {
        let v = vocabulary
        var ids = ids[...]
        var removeSpace = v.addSpacePrefix
        if removeSpecial && v.addBOS, let first = ids.first, first == v.bosID {
            removeSpace = false
            ids = ids.dropFirst()
        }
        if removeSpecial && v.addEOS, let last = ids.last, last == v.eosID {
            ids = ids.dropLast()
        }
        var text: [UInt8] = []
        for id in ids {
            var piece = self.piece(id, special: unparseSpecial)[...]
            if removeSpace && piece.first == 0x20 { piece = piece.dropFirst() }
            removeSpace = false
            text += piece
        }
        if case .bytePairEncoding(let settings) = v.model, settings.cleansSpaces {
            text = Self.cleanSpaces(text)
        }
        return text
    }

    /// `detokenize(ids, removeSpecial: true, unparseSpecial: false)` as text (bytes that
    /// are not valid UTF-8 become U+FFFD).
    public func decode(_ ids: [Int32]) -> String {
        String(decoding: detokenize(ids, removeSpecial: true, unparseSpecial: false), as: UTF8.self)
    }

    /// llama.cpp's three clean_spaces passes, byte for byte.
    static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        var text = input
        let space: UInt8 = 0x20, quote: UInt8 = 0x27
        // 1: " ?", " !", " .", " ," lose the space.
        var total = text.isEmpty ? 0 : 1
        for i in stride(from: 1, to: text.count, by: 1) {
            let x = text[i]
            if text[i - 1] == space && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) { total -= 1 }
            text[total] = x
            total += 1
        }
        text.removeSubrange(total...)
        // 2: " ' " becomes "'".
        total = text.isEmpty ? 0 : 1
        var i = 1
        while i < text.count {
            let x = text[i]
            if x == quote && i + 1 < text.count && text[i - 1] == space && text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }
        text.removeSubrange(total...)
        // 3: " 's", " 'm", " 're", " 've" lose the space.
        total = text.isEmpty ? 0 : 1
        for i in stride(from: 1, to: text.count, by: 1) {
            let x = text[i]
            if text[i - 1] == space && x == quote && i + 1 < text.count {
                let x1 = text[i + 1]
                if x1 == 0x73 || x1 == 0x6D {
                    total -= 1
                } else if x1 != 0x74 && x1 != 0x64 && i + 2 < text.count {
                    let x2 = text[i + 2]
                    if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { total -= 1 }
                }
            }
            text[total] = x
            total += 1
        }
        text.removeSubrange(total...)
        return text
    }

    /// The cached piece of a token (`token_to_piece(special: true)` at load time).
    static func piece(_ id: Int32, _ v: LMVocabulary) -> [UInt8] {
        let attributes = v.attributes[Int(id)]
        let text = v.tokens[Int(id)]
        if !attributes.isDisjoint(with: [.control, .unknown, .userDefined]) { return text }
        if attributes.contains(.normal) {
            switch v.model {
            case .sentencePiece: return unescapeSpaces(text)
            case .bytePairEncoding: return byteLevelDecode(text)
            }
        }
        if attributes.contains(.byte) {
            // strtol(text.substr(3, 2), 16)
            var value = 0
            for c in text.dropFirst(3).prefix(2) {
                guard let d = hexDigit(c) else { break }
                value = value * 16 + d
            }
            return [UInt8(truncatingIfNeeded: value)]
        }
        return []
    }

    private static func hexDigit(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: Int(c - 0x30)
        case 0x41...0x46: Int(c - 0x41 + 10)
        case 0x61...0x66: Int(c - 0x61 + 10)
        default: nil
        }
    }

    /// U+2581 -> space.
    static func unescapeSpaces(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + 2 < text.count && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// llama_decode_text: each character of a byte-level token back to its byte; a
    /// character outside the byte-level alphabet becomes "[UNK_BYTE_0x<hex><token>]".
    static func byteLevelDecode(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let scalar: Unicode.Scalar
            let length: Int
            if let (s, n) = decodeUTF8Scalar(text, at: i) {
                scalar = s
                length = n
            } else {
                scalar = "\u{FFFD}"
                length = 1
            }
            if let byte = ByteLevel.byte(of: scalar) {
                out.append(byte)
            } else {
                var utf8: [UInt8] = []
                encodeUTF8(CollectionOfOne(scalar.value), into: &utf8)
                out += Array("[UNK_BYTE_0x".utf8)
                for b in utf8 {
                    let h = String(b, radix: 16)
                    out += Array((h.count == 1 ? "0" + h : h).utf8)
                }
                out += text
                out.append(0x5D)
            }
            i += length
        }
        return out
    }
}
