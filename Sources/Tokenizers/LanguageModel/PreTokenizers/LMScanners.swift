/// Hand-written scanners over code points, transcribed from llama.cpp's unicode.cpp
/// (`unicode_regex_split_custom_gpt2`, `..._llama3`, `..._qwen2`) and an emulation of its
/// std::regex fallback for the `default` pipeline. Positions outside the fragment have no
/// flags and the code point OUT_OF_RANGE, exactly as there.
enum LMScanners {
    private static let outOfRange: UInt32 = 0xFFFF_FFFF
    private typealias F = LlamaCodepointFlags

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)` (and a final
    /// `\s+`, which llama.cpp's scanner adds).
    static func gpt2(_ cps: [UInt32], _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        let table = F.shared
        let end = range.upperBound
        @inline(__always) func cpt(_ p: Int) -> UInt32 { p < end ? cps[p] : outOfRange }
        @inline(__always) func flags(_ p: Int) -> UInt16 { p < end ? table(cps[p]) : 0 }
        @inline(__always) func isOther(_ f: UInt16) -> Bool {
            f & (F.whitespace | F.letter | F.number) == 0 && f != 0
        }
        var start = range.lowerBound
        var pos = range.lowerBound
        @inline(__always) func emit(_ to: Int) {
            if to > start { body(start..<to) }
            start = to
        }
        while pos < end {
            let c = cps[pos]
            let f = table(c)
            if c == 0x27 && pos + 1 < end {  // '
                let next = cpt(pos + 1)
                if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {  // s t m d
                    emit(pos + 2); pos += 2; continue
                }
                if pos + 2 < end {
                    let next2 = cpt(pos + 2)
                    if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65) || (next == 0x6C && next2 == 0x6C) {
                        emit(pos + 3); pos += 3; continue
                    }
                }
            }
            let space = c == 0x20
            var f2 = space ? flags(pos + 1) : f
            if f2 & F.letter != 0 {
                if space { pos += 1 }
                while f2 & F.letter != 0 { pos += 1; f2 = flags(pos) }
                emit(pos); continue
            }
            if f2 & F.number != 0 {
                if space { pos += 1 }
                while f2 & F.number != 0 { pos += 1; f2 = flags(pos) }
                emit(pos); continue
            }
            if isOther(f2) {
                if space { pos += 1 }
                while isOther(f2) { pos += 1; f2 = flags(pos) }
                emit(pos); continue
            }
            var n = 0
            while flags(pos + n) & F.whitespace != 0 { n += 1 }
            if n > 1 && cpt(pos + n) != outOfRange {  // \s+(?!\S)
                pos += n - 1; emit(pos); continue
            }
            if n > 0 {  // \s+
                pos += n; emit(pos); continue
            }
            pos += 1; emit(pos)  // no match
        }
    }

    /// `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` -- Llama 3 (maxDigits 3) and Qwen2 (1).
    static func llama3(_ cps: [UInt32], _ range: Range<Int>, maxDigits: Int, _ body: (Range<Int>) -> Void) {
        let table = F.shared
        let end = range.upperBound
        @inline(__always) func cpt(_ p: Int) -> UInt32 { p < end ? cps[p] : outOfRange }
        @inline(__always) func flags(_ p: Int) -> UInt16 { p < end ? table(cps[p]) : 0 }
        @inline(__always) func isOther(_ f: UInt16) -> Bool {
            f & (F.whitespace | F.letter | F.number) == 0 && f != 0
        }
        // unicode_tolower restricted to what can matter here: the ASCII letters s t m d r e v l
        // (no other code point lower-cases to one of them in llama.cpp's table).
        @inline(__always) func lower(_ c: UInt32) -> UInt32 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
        var start = range.lowerBound
        var pos = range.lowerBound
        @inline(__always) func emit(_ to: Int) {
            if to > start { body(start..<to) }
            start = to
        }
        while pos < end {
            let c = cps[pos]
            let f = table(c)
            if c == 0x27 && pos + 1 < end {
                let next = lower(cpt(pos + 1))
                if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {
                    emit(pos + 2); pos += 2; continue
                }
                if pos + 2 < end {
                    let next2 = lower(cpt(pos + 2))
                    if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65) || (next == 0x6C && next2 == 0x6C) {
                        emit(pos + 3); pos += 3; continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == 0x0D || c == 0x0A || f & F.number != 0) {
                if f & F.letter != 0 || flags(pos + 1) & F.letter != 0 {
                    pos += 1
                    while flags(pos) & F.letter != 0 { pos += 1 }
                    emit(pos); continue
                }
            }
            // \p{N}{1,maxDigits}
            if f & F.number != 0 {
                if maxDigits == 1 {
                    pos += 1
                } else {
                    var first = pos
                    while flags(pos) & F.number != 0 {
                        pos += 1
                        if pos - first >= maxDigits { emit(pos); first = pos }
                    }
                }
                emit(pos); continue
            }
            // <space>?[^\s\p{L}\p{N}]+[\r\n]*
            var f2 = c == 0x20 ? flags(pos + 1) : f
            if isOther(f2) {
                if c == 0x20 { pos += 1 }
                while isOther(f2) { pos += 1; f2 = flags(pos) }
                var c2 = cpt(pos)
                while c2 == 0x0D || c2 == 0x0A { pos += 1; c2 = cpt(pos) }
                emit(pos); continue
            }
            var n = 0
            var lastNewlineEnd = 0
            while flags(pos + n) & F.whitespace != 0 {
                let c2 = cpt(pos + n)
                if c2 == 0x0D || c2 == 0x0A { lastNewlineEnd = pos + n + 1 }
                n += 1
            }
            if lastNewlineEnd > 0 {  // \s*[\r\n]+
                pos = lastNewlineEnd; emit(pos); continue
            }
            if n > 1 && cpt(pos + n) != outOfRange {  // \s+(?!\S)
                pos += n - 1; emit(pos); continue
            }
            if n > 0 {  // \s+
                pos += n; emit(pos); continue
            }
            pos += 1; emit(pos)
        }
    }

    /// llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEFAULT: each regex splits every piece the previous
    /// one left; text a regex does not match stays a piece of its own (unicode_regex_split_stl).
    static func defaultPipeline(_ cps: [UInt32], _ body: (Range<Int>) -> Void) {
        let table = F.shared
        // Regex 1, std::regex over the collapsed text: `[\p{P}\$\+<=>\^~\|]+`, where \p{P}
        // is non-ASCII punctuation (collapsed to 0xD3) plus ASCII `!"#%&'()*,-./:;?@[\]_{}`.
        @inline(__always) func isPunct(_ c: UInt32) -> Bool {
            if c < 0x80 {
                switch c {
                case 0x21...0x2F, 0x3A...0x40, 0x5B...0x5F, 0x7B...0x7E: return true
                default: return false
                }
            }
            let f = table(c)
            return f & F.whitespace == 0 && f & F.categories == F.punctuation
        }
        // Regex 3: `\p{N}+` (ASCII digits or non-ASCII numbers that are not whitespace).
        @inline(__always) func isNumber(_ c: UInt32) -> Bool {
            if c < 0x80 { return c >= 0x30 && c <= 0x39 }
            let f = table(c)
            return f & F.whitespace == 0 && f & F.categories == F.number
        }
        @inline(__always) func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }

        runs(cps, 0..<cps.count, isPunct) { piece in
            gpt2(cps, piece) { word in
                runs(cps, word, isNumber) { part in
                    triples(cps, part, isDigit, body)
                }
            }
        }
    }

    /// Splits `range` into maximal runs where `member` holds and the stretches between them.
    private static func runs(_ cps: [UInt32], _ range: Range<Int>, _ member: (UInt32) -> Bool, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        var pos = range.lowerBound
        while pos < range.upperBound {
            let inside = member(cps[pos])
            var next = pos + 1
            while next < range.upperBound && member(cps[next]) == inside { next += 1 }
            body(start..<next)
            start = next
            pos = next
        }
    }

    /// `[0-9][0-9][0-9]`: leftmost non-overlapping triples, and the stretches between them.
    private static func triples(_ cps: [UInt32], _ range: Range<Int>, _ digit: (UInt32) -> Bool, _ body: (Range<Int>) -> Void) {
        var gap = range.lowerBound
        var pos = range.lowerBound
        while pos + 3 <= range.upperBound {
            if digit(cps[pos]) && digit(cps[pos + 1]) && digit(cps[pos + 2]) {
                if pos > gap { body(gap..<pos) }
                body(pos..<(pos + 3))
                pos += 3
                gap = pos
            } else {
                pos += 1
            }
        }
        if range.upperBound > gap { body(gap..<range.upperBound) }
    }
}
