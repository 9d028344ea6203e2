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
    /// Every alternative needs one character of this set (non-ASCII letters and
    /// symbols); text without any cannot be bad. Nil when that does not hold.
    private let required: ScalarSet?
    private let word = ScalarSet(table: GeneratedCaseTables.reWord)

    init(table: String) {
        let text = TableText.unwrapped(table)
        var alternatives: [[Item]] = []
        var requiredRanges: [ClosedRange<UInt32>] = []
        var everyAlternativeHasOne = true
        for alternative in text.split(separator: UInt8(ascii: ";")) {
            var items: [Item] = []
            var found = false
            for field in alternative.split(separator: UInt8(ascii: "/")) {
                var body = field[...]
                let optional = body.last == UInt8(ascii: "?")
                if optional { body = body.dropLast() }
                switch body.first {
                case UInt8(ascii: "^"):
                    items.append(Item(element: .start, optional: optional))
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
                    if !found && !optional && !space && !word && !negated && ranges.allSatisfy({ $0.lowerBound >= 0x80 }) {
                        requiredRanges += ranges
                        found = true
                    }
                }
            }
            everyAlternativeHasOne = everyAlternativeHasOne && found
            alternatives.append(items)
        }
        self.alternatives = alternatives
        required = everyAlternativeHasOne ? ScalarSet(requiredRanges) : nil
    }

    func isBad(_ text: [UInt32]) -> Bool {
        if let required, !text.contains(where: { $0 >= 0x80 && required.contains($0) }) { return false }
        for start in 0..<text.count {
            for alternative in alternatives where matches(alternative, 0, text, start) { return true }
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
            if !inside && space { inside = CharacterClasses.shared.flags(c).contains(.pythonSpace) }
            if !inside && wordClass { inside = word.contains(c) }
            return inside != negated
        }
    }
}
