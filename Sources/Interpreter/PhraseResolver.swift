/// Ties the model's target phrase to what the operator said and what CLIP knows.
///
/// A small model sometimes swaps the operator's object for a similar one it was shown
/// ("pick up the red cube" with only an orange cube in view becomes "an orange cube"): when the
/// command itself names a vocabulary label word for word, that label wins. A phrase that is a
/// vocabulary label up to its article ("red cube") becomes the label ("a red cube"), so grounding
/// does not score the phrase against its own twin. Anything else ("an apple" for "a healthy
/// snack") is left as the model wrote it.
public struct PhraseResolver: Sendable {
    public let vocabulary: [String]

    public init(vocabulary: [String]) { self.vocabulary = vocabulary }

    public func resolve(_ phrase: String, command: String) -> String {
        let words = Self.words(command)
        let spoken = vocabulary.filter { label in
            let content = Self.content(label)
            return !content.isEmpty && Self.contains(words, content)
        }
        let phraseContent = Self.content(phrase)
        if !phraseContent.isEmpty && Self.contains(words, phraseContent) {
            // The model used the operator's words; only fix the article if it is a label.
            return vocabulary.first { Self.content($0) == phraseContent } ?? phrase
        }
        if let named = spoken.max(by: { Self.content($0).count < Self.content($1).count }) { return named }
        return vocabulary.first { Self.content($0) == phraseContent } ?? phrase
    }

    static let articles: Set<Substring> = ["a", "an", "the", "some", "that", "this"]

    static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "-" }
    }

    /// The words of a phrase without articles.
    static func content(_ phrase: String) -> [Substring] { words(phrase).filter { !articles.contains($0) } }

    /// Whether `needle` occurs in `haystack` as consecutive words.
    static func contains(_ haystack: [Substring], _ needle: [Substring]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<start + needle.count]) == needle {
            return true
        }
        return false
    }
}
