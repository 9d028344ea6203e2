/// ftfy's character-by-character fixers, in the order fix_text applies them.
enum CharacterFixes {
    /// `fix_c1_controls`: C1 controls (U+80-U+9F) read as their Windows-1252 characters.
    static func fixC1Controls(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(where: { $0 >= 0x80 && $0 <= 0x9F }) else { return text }
        let sloppy1252 = FTFYData.shared.charmapCodecs.first { $0.name == "sloppy-windows-1252" }!
        return text.map { c in (c >= 0x80 && c <= 0x9F) ? sloppy1252.decodeTable[Int(c)]! : c }
    }

    static func fixLatinLigatures(_ text: [UInt32]) -> [UInt32] {
        translate(text, FTFYData.shared.ligatures, from: 0x132)
    }

    /// Fullwidth ASCII and halfwidth kana to their usual forms, U+3000 to a space.
    static func fixCharacterWidth(_ text: [UInt32]) -> [UInt32] {
        translate(text, FTFYData.shared.widthMap, from: 0x3000)
    }

    /// Curly single quotes (and U+02BC) to ', curly double quotes to ".
    static func uncurlQuotes(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(where: { $0 == 0x2BC || ($0 >= 0x2018 && $0 <= 0x201F) }) else { return text }
        return text.map { c in
            if c == 0x2BC || (c >= 0x2018 && c <= 0x201B) { return 0x27 }
            if c >= 0x201C && c <= 0x201F { return 0x22 }
            return c
        }
    }

    /// CRLF, CR, U+2028, U+2029 and U+85 to "\n".
    static func fixLineBreaks(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(where: { $0 == 0x0D || $0 == 0x2028 || $0 == 0x2029 || $0 == 0x85 }) else { return text }
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == 0x0D && i + 1 < text.count && text[i + 1] == 0x0A {
                i += 1
                continue  // the "\n" that follows is kept
            }
            out.append(c == 0x0D || c == 0x2028 || c == 0x2029 || c == 0x85 ? 0x0A : c)
            i += 1
        }
        return out
    }

    /// Removes ANSI escapes matching `\033\[((?:\d|;)*)([a-zA-Z])`, where `\d` is
    /// Python `re`'s Unicode decimal digit.
    static func removeTerminalEscapes(_ text: [UInt32]) -> [UInt32] {
        guard text.contains(0x1B) else { return text }
        let decimal = FTFYData.shared.reDecimal
        var out: [UInt32] = []
        var i = 0
        while i < text.count {
            if text[i] == 0x1B && i + 1 < text.count && text[i + 1] == 0x5B {
                var j = i + 2
                while j < text.count && (text[j] == 0x3B || decimal.contains(text[j])) { j += 1 }
                if j < text.count && ((text[j] >= 0x41 && text[j] <= 0x5A) || (text[j] >= 0x61 && text[j] <= 0x7A)) {
                    i = j + 1
                    continue
                }
            }
            out.append(text[i])
            i += 1
        }
        return out
    }

    /// Drops control characters with no visible effect (ftfy's CONTROL_CHARS).
    static func removeControlChars(_ text: [UInt32]) -> [UInt32] {
        let controls = FTFYData.shared.controlChars
        guard text.contains(where: { controls.contains($0) }) else { return text }
        return text.filter { !controls.contains($0) }
    }

    /// str.translate with a table whose keys are all >= `from`.
    private static func translate(_ text: [UInt32], _ table: [UInt32: [UInt32]], from: UInt32) -> [UInt32] {
        guard text.contains(where: { $0 >= from && table[$0] != nil }) else { return text }
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        for c in text {
            if c >= from, let mapped = table[c] { out.append(contentsOf: mapped) } else { out.append(c) }
        }
        return out
    }
}
