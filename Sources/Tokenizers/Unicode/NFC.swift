/// Unicode Normalization Form C with CPython's unicodedata tables (ftfy applies
/// `unicodedata.normalize("NFC", text)`); the standard library has no public NFC.
enum NFC {
    private struct Tables: Sendable {
        var combiningClass: [UInt32: UInt8] = [:]
        var decomposition: [UInt32: [UInt32]] = [:]
        var composition: [UInt64: UInt32] = [:]
        /// Characters that can make NFC differ from its input; text without any is left alone.
        let maybeChanges = ScalarSet(table: GeneratedNFCTables.maybeChanges)

        init() {
            for (klass, ranges) in TableText.entries(GeneratedNFCTables.combiningClass) {
                let value = UInt8(TableText.hex(klass))
                for range in TableText.ranges(String(decoding: ranges, as: UTF8.self)) {
                    for c in range { combiningClass[c] = value }
                }
            }
            for (key, value) in TableText.mapping(GeneratedNFCTables.decompositions) {
                decomposition[key] = value
            }
            for (pair, value) in TableText.entries(GeneratedNFCTables.compositions) {
                let parts = TableText.hexList(pair)
                composition[UInt64(parts[0]) << 32 | UInt64(parts[1])] = TableText.hex(value)
            }
        }
    }

    private static let tables = Tables()

    // Hangul syllables compose and decompose arithmetically (Unicode §3.12).
    private static let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
    private static let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
    private static let sCount = lCount * vCount * tCount

    static func normalize(_ text: [UInt32]) -> [UInt32] {
        let t = tables
        guard text.contains(where: { $0 >= 0x300 && t.maybeChanges.contains($0) }) else { return text }
        return compose(decompose(text, t), t)
    }

    private static func decompose(_ text: [UInt32], _ t: Tables) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count + 8)
        for c in text {
            if c >= sBase && c < sBase + sCount {
                let s = c - sBase
                out.append(lBase + s / (vCount * tCount))
                out.append(vBase + (s % (vCount * tCount)) / tCount)
                if s % tCount != 0 { out.append(tBase + s % tCount) }
            } else if let d = t.decomposition[c] {
                out.append(contentsOf: d)
            } else {
                out.append(c)
            }
        }
        // Canonical ordering: stable sort of each run of non-starters by combining class.
        var i = 0
        while i < out.count {
            guard (t.combiningClass[out[i]] ?? 0) != 0 else {
                i += 1
                continue
            }
            var end = i
            while end < out.count && (t.combiningClass[out[end]] ?? 0) != 0 { end += 1 }
            if end - i > 1 {
                var run = Array(out[i..<end]).enumerated().map { ($0.element, $0.offset) }
                run.sort { (a, b) in
                    let ca = t.combiningClass[a.0]!, cb = t.combiningClass[b.0]!
                    return ca != cb ? ca < cb : a.1 < b.1
                }
                out.replaceSubrange(i..<end, with: run.map(\.0))
            }
            i = end
        }
        return out
    }

    private static func compose(_ text: [UInt32], _ t: Tables) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        var starter: Int? = nil
        var lastClass: UInt8 = 0
        for c in text {
            let klass = t.combiningClass[c] ?? 0
            if let s = starter {
                // Blocked when something between the starter and c has class 0 or >= c's.
                let adjacent = out.count - 1 == s
                if adjacent || (lastClass != 0 && lastClass < klass),
                    let composed = composePair(out[s], c, t)
                {
                    out[s] = composed
                    continue
                }
            }
            if klass == 0 { starter = out.count }
            out.append(c)
            lastClass = klass
        }
        return out
    }

    private static func composePair(_ a: UInt32, _ b: UInt32, _ t: Tables) -> UInt32? {
        if a >= lBase && a < lBase + lCount && b >= vBase && b < vBase + vCount {
            return sBase + ((a - lBase) * vCount + (b - vBase)) * tCount
        }
        if a >= sBase && a < sBase + sCount && (a - sBase) % tCount == 0 && b > tBase && b < tBase + tCount {
            return a + (b - tBase)
        }
        return t.composition[UInt64(a) << 32 | UInt64(b)]
    }
}
