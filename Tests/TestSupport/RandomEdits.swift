/// Fuzz inputs for text parsers: `count` copies of `text`, each after one to four random
/// single-byte edits of its UTF-8 (delete, insert or overwrite with a byte of `alphabet`),
/// decoded back to a String (a broken character becomes U+FFFD). The generator is consumed
/// in a fixed order, so a seeded generator replays the same inputs.
/// `text` and `alphabet` must not be empty.
public func randomlyEditedCopies(
    of text: String, alphabet: String, count: Int, using generator: inout some RandomNumberGenerator
) -> [String] {
    let bytes = Array(text.utf8), replacements = Array(alphabet.utf8)
    return (0..<count).map { _ in
        String(decoding: randomlyEdited(bytes, alphabet: replacements, using: &generator), as: UTF8.self)
    }
}

/// `bytes` after one to `maximumEdits` random single-byte edits: delete, insert or overwrite with a
/// byte of `alphabet` (any byte when it is empty), within `range` (the whole input when nil).
public func randomlyEdited(
    _ bytes: [UInt8], alphabet: [UInt8] = [], maximumEdits: Int = 4, in range: Range<Int>? = nil,
    using generator: inout some RandomNumberGenerator
) -> [UInt8] {
    // The generator is consumed in the same order as before this was shared (count, then per edit
    // position, kind, byte), so seeded tests keep their inputs.
    func replacement() -> UInt8 { alphabet.randomElement(using: &generator) ?? UInt8.random(in: 0...255, using: &generator) }
    var edited = bytes
    for _ in 0..<Int.random(in: 1...max(1, maximumEdits), using: &generator) {
        let window = (range ?? 0..<edited.count).clamped(to: 0..<edited.count)
        guard !window.isEmpty else {
            edited.append(replacement())
            continue
        }
        let at = Int.random(in: window, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: edited.remove(at: at)
        case 1: edited.insert(replacement(), at: at)
        default: edited[at] = replacement()
        }
    }
    return edited
}

/// Values hostile input gives numbers, as they would be typed: zero, negatives, tiny and huge
/// magnitudes, not-a-number, infinities, and integers at and past the edges of the machine types.
public enum ExtremeNumbers {
    /// For command-line options and YAML scalars.
    public static let texts = [
        "0", "-1", "1e-9", "-1e-9", "1e300", "-1e300", "nan", "inf", "-inf", "1e-320",
        "2147483648", "4294967296", "1000000000000", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1e18", "0x1", "", "abc",
    ]

    /// Raw JSON values (numbers JSONSerialization could not write, and values of the wrong type).
    public static let json = [
        "0", "-1", "1e-9", "1e300", "-1e300", "1e999", "2147483648", "4294967296", "1000000000000",
        "1e9", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "0.5", "-0.0",
        "null", "true", "\"nan\"", "\"x\"", "[]", "{}", "[1e300, -1, 0]",
    ]
}
