/// llama.cpp's `tokenizer_st_partition`: for each text-matched token, longest text first,
/// every raw-text fragment is cut at each occurrence of the token's bytes (leftmost first,
/// non-overlapping). Control and unknown tokens are only matched with `parseSpecial`;
/// user-defined tokens always are. LSTRIP/RSTRIP tokens swallow adjacent ASCII whitespace.
enum LMSpecialTokenSplitter {
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    static func split(_ bytes: [UInt8], vocabulary: LMVocabulary, parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for id in vocabulary.textMatchedTokens {
            let attributes = vocabulary.attributes[Int(id)]
            if !parseSpecial && !attributes.isDisjoint(with: LMTokenAttributes.special) { continue }
            let needle = vocabulary.tokens[Int(id)]
            var out: [Fragment] = []
            var changed = false
            for fragment in fragments {
                guard case .text(var range) = fragment else {
                    out.append(fragment)
                    continue
                }
                while let match = find(needle, in: bytes, range) {
                    changed = true
                    var left = range.lowerBound..<match
                    if attributes.contains(.lstrip) {
                        while !left.isEmpty && isCSpace(bytes[left.upperBound - 1]) { left = left.lowerBound..<(left.upperBound - 1) }
                    }
                    if !left.isEmpty { out.append(.text(left)) }
                    out.append(.token(id))
                    var right = (match + needle.count)..<range.upperBound
                    if attributes.contains(.rstrip) {
                        while !right.isEmpty && isCSpace(bytes[right.lowerBound]) { right = (right.lowerBound + 1)..<right.upperBound }
                    }
                    range = right
                }
                if !range.isEmpty { out.append(.text(range)) }
            }
            if changed { fragments = out }
        }
        return fragments
    }

    /// C isspace in the "C" locale.
    @inline(__always)
    private static func isCSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], _ range: Range<Int>) -> Int? {
        guard let first = needle.first, needle.count <= range.count else { return nil }
        var i = range.lowerBound
        let last = range.upperBound - needle.count
        while i <= last {
            if bytes[i] == first {
                var k = 1
                while k < needle.count && bytes[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
