/// The operator's verb decides the action when it names one outright: "lift the purple sphere"
/// is pick even if the model wrote look_at. The verbs come from the prompt file (`verbs:`), for
/// the launch file's actions only; the first listed word in the command counts ("could you
/// please take ..." is take), so a second verb later ("pick up the cube and look at it") does
/// not. A command with a negation ("don't push the cube") is left to the model, as is one with
/// no listed word.
struct ActionVerbs: Sendable {
    private let actionOfWord: [Substring: String]

    init(_ verbs: [String: [String]], actions: [String]) {
        var map: [Substring: String] = [:]
        for action in actions.sorted() {
            for word in verbs[action] ?? [] where map[Substring(word)] == nil { map[Substring(word)] = action }
        }
        actionOfWord = map
    }

    static let negations: Set<Substring> = ["not", "don", "dont", "never", "no", "doesn", "won", "cannot", "without"]

    /// The action the command's verb names, or nil when it names none or is negated.
    func action(for command: String) -> String? {
        let words = ObjectWords.words(command)
        guard !words.contains(where: Self.negations.contains) else { return nil }
        return words.lazy.compactMap { actionOfWord[$0] }.first
    }
}
