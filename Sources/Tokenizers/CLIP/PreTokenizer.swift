/// CLIP's pre-tokenisation pattern, scanned by hand over code points:
///
///     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// with IGNORECASE, giving what `regex.findall` gives: at each position the first
/// alternative that matches wins; a character no alternative matches (whitespace,
/// and U+0345, which IGNORECASE keeps out of every class) is skipped.
enum PreTokenizer {
    private static let literals: [[UInt32]] = [
        "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
    ].map { $0.unicodeScalars.map(\.value) }

    /// Characters other than itself that a pattern literal matches under IGNORECASE
    /// (e.g. 'S' and 'ſ' for 's'), from the regex module.
    private static let folds: [UInt32: [UInt32]] = {
        var table: [UInt32: [UInt32]] = [:]
        for (key, value) in TableText.mapping(GeneratedPatternTables.literalFolds) { table[key] = value }
        return table
    }()

    /// Calls `body` with each pre-token's code points.
    static func forEachToken(_ text: [UInt32], _ body: (ArraySlice<UInt32>) -> Void) {
        let classes = CharacterClasses.shared
        var i = 0
        let n = text.count
        outer: while i < n {
            let c = text[i]
            if c == 0x3C || c == 0x27 {  // '<' or an apostrophe may start a literal
                for literal in literals where matchesLiteral(literal, text, i) {
                    body(text[i..<(i + literal.count)])
                    i += literal.count
                    continue outer
                }
            }
            let flags = classes.flags(c)
            if flags.contains(.letter) {
                var j = i + 1
                while j < n && classes.flags(text[j]).contains(.letter) { j += 1 }
                body(text[i..<j])
                i = j
            } else if flags.contains(.number) {
                body(text[i..<(i + 1)])
                i += 1
            } else if flags.contains(.other) {
                var j = i + 1
                while j < n && classes.flags(text[j]).contains(.other) { j += 1 }
                body(text[i..<j])
                i = j
            } else {
                i += 1
            }
        }
    }

    private static func matchesLiteral(_ literal: [UInt32], _ text: [UInt32], _ at: Int) -> Bool {
        guard at + literal.count <= text.count else { return false }
        for (k, l) in literal.enumerated() {
            let c = text[at + k]
            if c != l && !(folds[l]?.contains(c) ?? false) { return false }
        }
        return true
    }
}
