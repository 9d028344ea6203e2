/// The reference's text preparation before the pattern runs:
/// `whitespace_clean(ftfy.fix_text(text)).lower()`.
enum TextCleaner {
    static func clean(_ text: [UInt32]) -> [UInt32] {
        PythonLowercase.lower(collapseWhitespace(FTFY.fixText(text)))
    }

    /// `re.sub(r"\s+", " ", text).strip()`: `\s` is the regex module's, while
    /// strip() uses str.isspace(), which also counts U+1C-U+1F.
    static func collapseWhitespace(_ text: [UInt32]) -> [UInt32] {
        let classes = CharacterClasses.shared
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var inRun = false
        for c in text {
            if classes.flags(c).contains(.regexSpace) {
                if !inRun { out.append(0x20) }
                inRun = true
            } else {
                out.append(c)
                inRun = false
            }
        }
        var start = 0, end = out.count
        while start < end && classes.flags(out[start]).contains(.pythonSpace) { start += 1 }
        while end > start && classes.flags(out[end - 1]).contains(.pythonSpace) { end -= 1 }
        return Array(out[start..<end])
    }
}
