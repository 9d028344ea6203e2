/// Finds stop strings in streamed text without emitting what might turn out to be the
/// start of one: text is released only once no stop string can begin in it, so a stop
/// string split across tokens is still caught and never shown. Works on UTF-8 bytes; the
/// fed text is whole characters, so every cut falls on a character boundary.
struct StopStringMatcher {
    let stops: [[UInt8]]
    private var pending: [UInt8] = []

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty }.map { Array($0.utf8) } }

    /// Adds text; returns what is safe to emit now, and the stop string when one completed
    /// (then the text before it is returned and the rest is dropped).
    mutating func feed(_ text: String) -> (emit: String, stop: String?) {
        pending += text.utf8
        guard !stops.isEmpty else { return (flush(), nil) }
        // The earliest complete stop string.
        var best: (start: Int, stop: [UInt8])?
        for stop in stops {
            if let start = Self.find(stop, in: pending), best == nil || start < best!.start { best = (start, stop) }
        }
        if let best {
            let out = String(decoding: pending[..<best.start], as: UTF8.self)
            pending.removeAll()
            return (out, String(decoding: best.stop, as: UTF8.self))
        }
        // Hold back from the earliest position where the rest is a proper prefix of a stop string.
        var cut = pending.count
        let longest = stops.map(\.count).max()!
        for start in max(0, pending.count - longest + 1)..<pending.count {
            let tail = pending[start...]
            if stops.contains(where: { $0.count > tail.count && $0.starts(with: tail) }) { cut = start; break }
        }
        let out = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeSubrange(..<cut)
        return (out, nil)
    }

    /// Everything held back.
    mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
