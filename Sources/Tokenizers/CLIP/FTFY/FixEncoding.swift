/// ftfy's `fix_encoding`: finds mojibake (UTF-8 decoded in a single-byte codec)
/// with the badness heuristic and undoes it.
enum FixEncoding {
    static func fixEncoding(_ text: [UInt32]) -> [UInt32] {
        var text = text
        while true {
            let fixed = oneStep(text)
            if fixed == text { return text }
            text = fixed
        }
    }

    /// `_fix_encoding_one_step_and_explain` with the default configuration.
    static func oneStep(_ text: [UInt32]) -> [UInt32] {
        let data = FTFYData.shared
        if text.isEmpty || text.allSatisfy({ $0 < 0x80 }) || !data.badness.isBad(text) { return text }

        var latin1Possible = false
        for codec in data.charmapCodecs where codec.canEncode(text) {
            if codec.name == "latin-1" { latin1Possible = true }
            var bytes = codec.encode(text)
            if codec.name != "macroman" && ByteFixes.alteredUTF8.search(bytes) {
                bytes = ByteFixes.restoreByteA0(bytes)
            }
            if codec.isSloppy { bytes = ByteFixes.replaceLossySequences(bytes) }
            let decoded = bytes.contains(0xED) || bytes.contains(0xC0)
                ? ByteFixes.decodeUTF8Variants(bytes) : decodeUTF8Strict(bytes)
            if let decoded { return decoded }
        }

        if UTF8Detector.firstMatch(text, from: 0, data) != nil {
            let fixed = decodeInconsistentUTF8(text, data)
            if fixed != text { return fixed }
        }

        // Latin-1 that was meant as Windows-1252. (ftfy's check for "windows-1252"
        // among the possible encodings never succeeds: only the sloppy one is tried.)
        if latin1Possible, let fixed = data.windows1252.decode(text.map { UInt8(truncatingIfNeeded: $0) }), fixed != text {
            return fixed
        }
        if text.contains(where: { $0 >= 0x80 && $0 <= 0x9F }) { return CharacterFixes.fixC1Controls(text) }
        return text
    }

    /// fixes.decode_inconsistent_utf8: fixes each UTF-8-looking run on its own.
    static func decodeInconsistentUTF8(_ text: [UInt32], _ data: FTFYData) -> [UInt32] {
        var out: [UInt32] = []
        var pos = 0
        while pos < text.count {
            guard let (start, end) = UTF8Detector.firstMatch(text, from: pos, data) else {
                out += text[pos...]
                break
            }
            out += text[pos..<start]
            let run = Array(text[start..<end])
            // Shorter than the whole text, so the recursion ends.
            if run.count < text.count && data.badness.isBad(run) {
                out += fixEncoding(run)
            } else {
                out += run
            }
            pos = end
        }
        return out
    }
}

/// chardata.UTF8_DETECTOR_RE: runs of characters that look like UTF-8 lead and
/// continuation bytes in some single-byte codec, not preceded by a strict
/// continuation character.
enum UTF8Detector {
    static func firstMatch(_ text: [UInt32], from: Int, _ data: FTFYData) -> (Int, Int)? {
        var start = from
        while start < text.count {
            if start == 0 || !data.continuationStrict.contains(text[start - 1]) {
                let end = runEnd(text, start, data)
                if end > start { return (start, end) }
            }
            start += 1
        }
        return nil
    }

    /// Greedy repetition of (first-of-2 cont | first-of-3 cont{2} | first-of-4 cont{3}).
    private static func runEnd(_ text: [UInt32], _ start: Int, _ data: FTFYData) -> Int {
        var q = start
        func continues(_ count: Int) -> Bool {
            guard q + count < text.count else { return false }
            return (1...count).allSatisfy { data.continuation.contains(text[q + $0]) }
        }
        while q < text.count {
            let c = text[q]
            if data.firstOf2.contains(c) && continues(1) {
                q += 2
            } else if data.firstOf3.contains(c) && continues(2) {
                q += 3
            } else if data.firstOf4.contains(c) && continues(3) {
                q += 4
            } else {
                break
            }
        }
        return q
    }
}
