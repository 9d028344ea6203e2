/// ftfy's `is_bad`: does BADNESS_RE match anywhere? The generator turns the
/// regular expression into alternatives of single-character elements, which
/// are matched here directly.
struct Badness: Sendable {
    private enum Element: Sendable {
        case start
        case anyButNewline
        case set(ScalarSet, space: Bool, word: Bool, negated: Bool)
    }

    private struct Item: Sendable {
        var element: Element
        var optional: Bool
    }

    private let alternatives: [[Item]]
    /// Every alternative contains a "key" item: a plain set of non-ASCII
    /// characters (a mojibake letter or symbol). For each such character, the
    /// alternatives it is a key of and the possible distances from the start of a
    /// match to the key. Matching is only tried around these characters, which
    /// keeps long clean text fast.
    private let keyed: [UInt32: [(alternative: Int, offsets: [Int])]]
    private let word = ScalarSet(table: GeneratedCaseTables.reWord)
    private let space = ScalarSet(table: GeneratedPatternTables.isSpace)

    init(table: String) {
        let text = TableText.unwrapped(table)
        var alternatives: [[Item]] = []
        var keyed: [UInt32: [(alternative: Int, offsets: [Int])]] = [:]
        for alternative in text.split(separator: UInt8(ascii: ";")) {
            var items: [Item] = []
            var key: (ranges: [ClosedRange<UInt32>], offsets: [Int])? = nil
            var offsets: Set<Int> = [0]  // characters consumed before the current item
            for field in alternative.split(separator: UInt8(ascii: "/")) {
                var body = field[...]
                let optional = body.last == UInt8(ascii: "?")
                if optional { body = body.dropLast() }
                switch body.first {
                case UInt8(ascii: "^"):
                    items.append(Item(element: .start, optional: optional))
                    continue
                case UInt8(ascii: "."):
                    items.append(Item(element: .anyButNewline, optional: optional))
                default:
                    // "[flags|ranges]"
                    let inner = body.dropFirst().dropLast()
                    let bar = inner.firstIndex(of: UInt8(ascii: "|"))!
                    let flags = inner[inner.startIndex..<bar]
                    let rangeText = String(decoding: inner[(bar + 1)...], as: UTF8.self)
                    let ranges = rangeText.isEmpty ? [] : TableText.ranges(rangeText)
                    let space = flags.contains(UInt8(ascii: "S")), word = flags.contains(UInt8(ascii: "W"))
                    let negated = flags.contains(UInt8(ascii: "N"))
                    items.append(Item(element: .set(ScalarSet(ranges), space: space, word: word, negated: negated), optional: optional))
                    if key == nil && !optional && !space && !word && !negated && !ranges.isEmpty
                        && ranges.allSatisfy({ $0.lowerBound >= 0x80 })
                    {
                        key = (ranges, offsets.sorted())
                    }
                }
                offsets = optional ? offsets.union(offsets.map { $0 + 1 }) : Set(offsets.map { $0 + 1 })
            }
            // The generator's table always has a key item; without one this
            // alternative could never be tried, so fail loudly in tests.
            precondition(key != nil, "BADNESS_RE alternative without a non-ASCII set")
            for range in key!.ranges {
                for c in range { keyed[c, default: []].append((alternatives.count, key!.offsets)) }
            }
            alternatives.append(items)
        }
        self.alternatives = alternatives
        self.keyed = keyed
    }

    func isBad(_ text: [UInt32]) -> Bool {
        for (i, c) in text.enumerated() where c >= 0x80 {
            guard let candidates = keyed[c] else { continue }
            for (alternative, offsets) in candidates {
                for offset in offsets where i >= offset && matches(alternatives[alternative], 0, text, i - offset) {
                    return true
                }
            }
        }
        return false
    }

    /// Does the alternative match from item `k` at `pos`? An optional item may
    /// consume one character or none (BADNESS_RE's only one is `\s?`).
    private func matches(_ items: [Item], _ k: Int, _ text: [UInt32], _ pos: Int) -> Bool {
        if k == items.count { return true }
        let item = items[k]
        if case .start = item.element { return pos == 0 && matches(items, k + 1, text, pos) }
        if consumes(item.element, text, pos) && matches(items, k + 1, text, pos + 1) { return true }
        return item.optional && matches(items, k + 1, text, pos)
    }

    private func consumes(_ element: Element, _ text: [UInt32], _ pos: Int) -> Bool {
        guard pos < text.count else { return false }
        let c = text[pos]
        switch element {
        case .start:
            return false
        case .anyButNewline:
            return c != 0x0A
        case .set(let set, let space, let wordClass, let negated):
            var inside = set.contains(c)
            if !inside && space { inside = self.space.contains(c) }
            if !inside && wordClass { inside = word.contains(c) }
            return inside != negated
        }
    }
}
