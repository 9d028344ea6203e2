/// The byte-level repairs fix_encoding makes between encoding text in a
/// single-byte codec and decoding it as UTF-8.
enum ByteFixes {
    /// An alternation of fixed-length byte sequences, matched leftmost-first like
    /// Python's `re` does for ALTERED_UTF8_RE and LOSSY_UTF8_RE.
    struct Pattern {
        let alternatives: [[[ClosedRange<UInt8>]]]

        /// Length of the first alternative matching at `pos`, if any.
        func match(_ bytes: [UInt8], at pos: Int) -> Int? {
            alternatives: for alternative in alternatives {
                guard pos + alternative.count <= bytes.count else { continue }
                for (k, set) in alternative.enumerated() where !set.contains(where: { $0.contains(bytes[pos + k]) }) {
                    continue alternatives
                }
                return alternative.count
            }
            return nil
        }

        func search(_ bytes: [UInt8]) -> Bool {
            bytes.indices.contains { match(bytes, at: $0) != nil }
        }

        /// `re.sub` with a replacement computed from each match.
        func substitute(_ bytes: [UInt8], _ replacement: (ArraySlice<UInt8>) -> [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                if let length = match(bytes, at: i) {
                    out += replacement(bytes[i..<(i + length)])
                    i += length
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            return out
        }
    }

    private static let space: [ClosedRange<UInt8>] = [0x20...0x20]
    private static let cont: [ClosedRange<UInt8>] = [0x80...0xBF]
    private static let contNo85A0: [ClosedRange<UInt8>] = [0x80...0x84, 0x86...0x9F, 0xA1...0xBF]

    /// chardata.ALTERED_UTF8_RE: UTF-8 that would be valid if a space were byte A0.
    static let alteredUTF8 = Pattern(alternatives: [
        [[0xC2...0xC3, 0xC5...0xC5, 0xCE...0xCE, 0xD0...0xD0, 0xD9...0xD9], space],
        [[0xE2...0xE3], space, contNo85A0],
        [[0xE0...0xE3], contNo85A0, space],
        [[0xF0...0xF0], space, cont, cont],
        [[0xF0...0xF0], cont, space, cont],
        [[0xF0...0xF0], cont, cont, space],
    ])

    /// chardata.LOSSY_UTF8_RE: UTF-8 sequences with bytes lost to 0x1A (or '?').
    static let lossyUTF8: Pattern = {
        let sub: [ClosedRange<UInt8>] = [0x1A...0x1A]
        let subQ: [ClosedRange<UInt8>] = [0x1A...0x1A, 0x3F...0x3F]
        let subCont: [ClosedRange<UInt8>] = [0x1A...0x1A, 0x80...0xBF]
        let subQCont: [ClosedRange<UInt8>] = [0x1A...0x1A, 0x3F...0x3F, 0x80...0xBF]
        let ed: [ClosedRange<UInt8>] = [0xED...0xED]
        return Pattern(alternatives: [
            [[0xC2...0xDF], sub],
            [[0xC2...0xC3], [0x3F...0x3F]],
            [ed, [0xA0...0xAF], subQ, ed, [0xB0...0xBF], subQCont],
            [ed, [0xA0...0xAF], subQCont, ed, [0xB0...0xBF], subQ],
            [[0xE0...0xEF], subQ, subCont],
            [[0xE0...0xEF], subCont, subQ],
            [[0xF0...0xF4], subQ, subCont, subCont],
            [[0xF0...0xF4], subCont, subQ, subCont],
            [[0xF0...0xF4], subCont, subCont, subQ],
            [sub],
        ])
    }()

    /// fixes.restore_byte_a0.
    static func restoreByteA0(_ bytes: [UInt8]) -> [UInt8] {
        // A_GRAVE_WORD_RE: "Ã " as a word of its own is "à ", except before the
        // Portuguese words listed in ftfy.
        var graveFixed: [UInt8] = []
        graveFixed.reserveCapacity(bytes.count + 4)
        var i = 0
        let exceptions: [[UInt8]] = [[0x20], Array("quele".utf8), Array("quela".utf8), Array("quilo".utf8), [0x73, 0x20]]
        while i < bytes.count {
            if bytes[i] == 0xC3, i + 1 < bytes.count, bytes[i + 1] == 0x20,
                !exceptions.contains(where: { bytes[(i + 2)...].starts(with: $0) })
            {
                graveFixed += [0xC3, 0xA0, 0x20]
                i += 2
            } else {
                graveFixed.append(bytes[i])
                i += 1
            }
        }
        return alteredUTF8.substitute(graveFixed) { match in match.map { $0 == 0x20 ? 0xA0 : $0 } }
    }

    /// fixes.replace_lossy_sequences: each lossy sequence becomes U+FFFD.
    static func replaceLossySequences(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.contains(0x1A) || bytes.contains(0x3F) else { return bytes }
        return lossyUTF8.substitute(bytes) { _ in [0xEF, 0xBF, 0xBD] }
    }

    /// ftfy's "utf-8-variants" codec in strict mode: UTF-8 plus CESU-8 surrogate
    /// pairs and Java's C0 80 for NUL. Follows ftfy's decoder step by step,
    /// including how its regular expressions treat a final "\n" (`$` matches before it).
    static func decodeUTF8Variants(_ b: [UInt8]) -> [UInt32]? {
        let n = b.count
        func atEnd(_ q: Int) -> Bool { q == n || (q == n - 1 && b[q] == 0x0A) }
        func isNull(_ p: Int) -> Bool { b[p] == 0xC0 && ((p + 1 < n && b[p + 1] == 0x80) || atEnd(p + 1)) }
        func isSurrogate(_ p: Int) -> Bool {
            guard b[p] == 0xED else { return false }
            if atEnd(p + 1) { return true }
            return (0xA0...0xBF).contains(b[p + 1]) && ((p + 2 < n && (0x80...0xBF).contains(b[p + 2])) || atEnd(p + 2))
        }
        var out: [UInt32] = []
        out.reserveCapacity(n)
        var pos = 0
        while pos < n {
            guard let special = (pos..<n).first(where: { isNull($0) || isSurrogate($0) }) else {
                guard let rest = decodeUTF8Strict(Array(b[pos...])) else { return nil }
                return out + rest
            }
            if special > pos {
                guard let part = decodeUTF8Strict(Array(b[pos..<special])) else { return nil }
                out += part
                pos = special
                continue
            }
            if b[pos] == 0xC0 {
                guard n - pos > 1 else { return nil }  // a lone C0 is invalid
                out.append(0)
                pos += 2
                continue
            }
            // ED: a six-byte CESU-8 surrogate pair, or invalid.
            guard n - pos >= 6 else { return nil }
            let b1 = b[pos + 1], b2 = b[pos + 2], b3 = b[pos + 3], b4 = b[pos + 4], b5 = b[pos + 5]
            guard (0xA0...0xAF).contains(b1), (0x80...0xBF).contains(b2), b3 == 0xED, (0xB0...0xBF).contains(b4),
                (0x80...0xBF).contains(b5) || (n - pos == 6 && b5 == 0x0A)
            else { return nil }
            let high = (UInt32(b1 & 0x0F) << 16) + (UInt32(b2 & 0x3F) << 10)
            out.append(high + (UInt32(b4 & 0x0F) << 6) + UInt32(b5 & 0x3F) + 0x10000)
            pos += 6
        }
        return out
    }
}
