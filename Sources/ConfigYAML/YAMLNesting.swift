/// How deeply a YAML text nests, estimated from its characters before it is parsed: the YAML
/// composer and everything that walks its tree recurse once per level, so a hostile file (or a
/// `--set` value) of ten thousand `[` or indented `- ` must be refused before it gets there.
///
/// The estimate counts flow brackets outside quotes and comments, plus block levels (each
/// deeper indentation, and each `- ` or `? ` that opens a nested item on the same line). It can
/// only overestimate a real document's depth, and configuration files nest a few levels.
public enum YAMLNesting {
    /// Deeper input is refused.
    public static let maximumDepth = 64

    public static func depth(of text: String) -> Int {
        var deepest = 0
        var flow = 0
        var indents: [Int] = []
        var quote: UInt8?  // the open quote character, if inside a quoted scalar
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var column = 0
            var atLineStart = quote == nil && flow == 0
            var previous: UInt8 = UInt8(ascii: " ")
            var escaped = false
            var bytes = line.makeIterator()
            while let byte = bytes.next() {
                defer { column += 1 }
                if let open = quote {
                    if open == UInt8(ascii: "\"") {
                        if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == open { quote = nil }
                    } else if byte == open {
                        quote = nil  // '' inside single quotes reopens at once: harmless for a depth estimate
                    }
                    previous = byte
                    continue
                }
                let separated = previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t")
                if atLineStart {
                    if byte == UInt8(ascii: " ") { previous = byte; continue }
                    if (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "?")) && separated {
                        // A block item: a level at this column; what follows may open another.
                        while let top = indents.last, top >= column { indents.removeLast() }
                        indents.append(column)
                        previous = byte
                        continue
                    }
                    if byte == UInt8(ascii: "#") { break }
                    atLineStart = false
                    while let top = indents.last, top >= column { indents.removeLast() }
                    indents.append(column)
                }
                switch byte {
                case UInt8(ascii: "#") where separated:
                    // A comment: the rest of the line does not count.
                    deepest = max(deepest, flow + indents.count)
                    previous = byte
                    while bytes.next() != nil {}
                    continue
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    if separated || [UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":")].contains(previous) {
                        quote = byte
                    }
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flow += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    flow = max(0, flow - 1)
                default:
                    break
                }
                deepest = max(deepest, flow + indents.count)
                previous = byte
            }
            deepest = max(deepest, flow + indents.count)
        }
        return deepest
    }
}
