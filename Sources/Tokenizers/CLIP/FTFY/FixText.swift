/// A port of ftfy 6.3.1's `fix_text` with its default configuration, which the
/// CLIP reference runs on every text before tokenising. Text is handled as code
/// points (`[UInt32]`). ftfy is © Robyn Speer, Apache License 2.0.
///
/// Not ported: `fix_surrogates`, because a Swift String cannot hold surrogate code points.
enum FTFY {
    /// ftfy's `max_decode_length`: longer lines are fixed in pieces of this size.
    static let maxSegmentLength = 1_000_000

    /// `ftfy.fix_text(text)`: fixes each line (segment) on its own.
    static func fixText(_ text: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var unescapeHTML = true  // "auto"
        var pos = 0
        while pos < text.count {
            var end = (text[pos...].firstIndex(of: 0x0A) ?? text.count - 1) + 1
            if end - pos > maxSegmentLength { end = pos + maxSegmentLength }
            let segment = Array(text[pos..<end])
            // "auto": a literal '<' means real HTML, whose entities must stay. ftfy keeps
            // the switched-off setting for every later segment as well.
            if unescapeHTML && segment.contains(0x3C) { unescapeHTML = false }
            out.append(contentsOf: fixSegment(segment, unescapeHTML: unescapeHTML))
            pos = end
        }
        return out
    }

    /// `fix_and_explain` without the explanation: every fixer in ftfy's order,
    /// repeated until the text stops changing.
    static func fixSegment(_ segment: [UInt32], unescapeHTML: Bool) -> [UInt32] {
        if isPlainASCII(segment, unescapeHTML: unescapeHTML) { return segment }
        var text = segment
        while true {
            let original = text
            if unescapeHTML { text = HTMLUnescape.unescape(text) }
            text = FixEncoding.fixEncoding(text)
            text = CharacterFixes.fixC1Controls(text)
            text = CharacterFixes.fixLatinLigatures(text)
            text = CharacterFixes.fixCharacterWidth(text)
            text = CharacterFixes.uncurlQuotes(text)
            text = CharacterFixes.fixLineBreaks(text)
            text = CharacterFixes.removeTerminalEscapes(text)
            text = CharacterFixes.removeControlChars(text)
            text = NFC.normalize(text)
            if text == original { return text }
        }
    }

    /// ASCII text that no fixer would touch: no entity, carriage return or control
    /// character. Most captions are this, and skip the whole pipeline.
    private static func isPlainASCII(_ text: [UInt32], unescapeHTML: Bool) -> Bool {
        for c in text {
            if c >= 0x7F { return false }
            if c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0C { return false }
            if c == 0x26 && unescapeHTML { return false }
        }
        return true
    }
}
