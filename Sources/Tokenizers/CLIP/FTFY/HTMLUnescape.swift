/// ftfy's `unescape_html`: replaces `&#?[0-9A-Za-z]{1,24};` when it is a known
/// HTML5 entity (or an all-caps one ftfy adds) or a numeric reference that
/// Python's `html.unescape` decodes completely; anything else stays as written.
enum HTMLUnescape {
    static func unescape(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(0x26) else { return text }
        let data = FTFYData.shared
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == 0x26, let (end, replacement) = match(text, at: i, data) {
                out.append(contentsOf: replacement)
                i = end
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    private static func isAlnum(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    /// The entity at `start` ('&'): where it ends and what replaces it.
    private static func match(_ text: [UInt32], at start: Int, _ data: FTFYData) -> (Int, [UInt32])? {
        var i = start + 1
        let numeric = i < text.count && text[i] == 0x23  // '#'
        if numeric { i += 1 }
        let nameStart = i
        while i < text.count && isAlnum(text[i]) { i += 1 }
        let length = i - nameStart
        guard length >= 1 && length <= 24, i < text.count, text[i] == 0x3B else { return nil }
        let end = i + 1
        let name = text[nameStart..<i].map { UInt8($0) }
        if !numeric {
            // Unknown names are matched but left as they are.
            return (end, data.htmlEntities[name] ?? Array(text[start..<end]))
        }
        guard let decoded = numericReference(name, data), !decoded.contains(0x3B) else {
            // html.unescape decoded only part of it (or nothing): ftfy keeps the original.
            return (end, Array(text[start..<end]))
        }
        return (end, decoded)
    }

    /// Python's `html.unescape` of "&#<name>;" when it consumes the whole reference.
    private static func numericReference(_ name: [UInt8], _ data: FTFYData) -> [UInt32]? {
        var digits = name[...]
        var radix: UInt32 = 10
        if let first = digits.first, first == UInt8(ascii: "x") || first == UInt8(ascii: "X") {
            radix = 16
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var value: UInt32 = 0
        var tooLarge = false
        for d in digits {
            let digit: UInt32
            switch d {
            case 0x30...0x39: digit = UInt32(d - 0x30)
            case 0x41...0x46 where radix == 16: digit = UInt32(d - 0x41 + 10)
            case 0x61...0x66 where radix == 16: digit = UInt32(d - 0x61 + 10)
            default: return nil  // html.unescape stops before this character
            }
            if value > 0x10FFFF { tooLarge = true } else { value = value * radix + digit }
        }
        if tooLarge || value > 0x10FFFF { return [0xFFFD] }
        if let replacement = data.invalidCharrefs[value] { return replacement }
        if (0xD800...0xDFFF).contains(value) { return [0xFFFD] }
        if data.invalidCodepoints.contains(value) { return [] }
        return [value]
    }
}
