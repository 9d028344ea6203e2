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
        var edited = bytes
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let at = Int.random(in: 0..<edited.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: edited.remove(at: at)
            case 1: edited.insert(replacements.randomElement(using: &generator)!, at: at)
            default: edited[at] = replacements.randomElement(using: &generator)!
            }
        }
        return String(decoding: edited, as: UTF8.self)
    }
}
