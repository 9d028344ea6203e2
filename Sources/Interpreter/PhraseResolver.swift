/// Ties the model's phrases to what the operator said and what CLIP knows, so an intent
/// names exactly the object the operator named.
///
/// A small model sometimes swaps the operator's object for one it was shown ("push the purple
/// block" with a red cube in view becomes "a red cube"). So the command's own words decide:
/// when the command names objects (a colour, a shape or a noun: "the purple block", "the
/// apple"), the phrase must fit one of them — every colour and the kind the operator said, with
/// synonyms folded (block is cube, sphere is ball), nothing contradicting — or it is replaced by
/// the operator's object. Only what the operator left open may come from the model: "the cube"
/// may become the visible "a red cube"; a vague command ("a healthy snack", "that thing") names
/// no object, and the model's pick is kept.
///
/// The answer is the scene vocabulary's label for that colour and kind when there is one ("purple
/// block" becomes "a purple cube", whether or not it is in view, so grounding reports it not
/// found rather than finding another), else the operator's words ("a pink cube").
public struct PhraseResolver: Sendable {
    public let vocabulary: [String]
    private let labels: [(label: String, descriptor: ObjectDescriptor, content: [Substring])]
    private let knownNouns: Set<Substring>

    public init(vocabulary: [String]) {
        self.vocabulary = vocabulary
        labels = vocabulary.map { ($0, ObjectDescriptor(phrase: $0), Self.content($0)) }
        // The vocabulary's own nouns end a noun phrase in a command as shape words do.
        knownNouns = Set(vocabulary.compactMap { Self.content($0).last.map(ObjectWords.singular) })
    }

    /// The target and destination of `task`, each resolved against the objects the command
    /// names: the target prefers an object the command names as the thing acted on, the
    /// destination another object, one it names as a place ("next to the green cylinder"). A
    /// destination naming no object ("left", "there") cannot be grounded: it moves to the
    /// attributes. A destination when the command names no other object is the model's
    /// invention and is dropped.
    public func resolve(_ task: InterpretedTask, command: String) -> InterpretedTask {
        let reading = Reading(command, knownNouns: knownNouns)
        var resolved = task
        let (target, used) = resolve(task.target, reading, preferringPlace: false)
        resolved.target = target
        resolved.destination = nil
        if let destination = task.destination {
            if ObjectDescriptor(phrase: destination).isEmpty {
                if !destination.isEmpty && !task.attributes.contains(destination) { resolved.attributes.append(destination) }
            } else if reading.mentions.isEmpty {
                resolved.destination = resolve(destination, reading, preferringPlace: true).phrase.nonEmpty
            } else {
                var others = reading
                if let used { others.mentions.remove(at: used) }
                if !others.mentions.isEmpty { resolved.destination = resolve(destination, others, preferringPlace: true).phrase }
            }
        }
        return resolved
    }

    /// One phrase (a target or a destination) resolved against the objects the command names.
    public func resolve(_ phrase: String, command: String) -> String {
        resolve(phrase, Reading(command, knownNouns: knownNouns), preferringPlace: nil).phrase
    }

    /// What the resolver reads in a command.
    struct Reading {
        var mentions: [ObjectMention]
        var words: Set<Substring>
        /// It refers to an object without naming it ("that thing", "a snack", "it").
        var isVague: Bool

        init(_ command: String, knownNouns: Set<Substring>) {
            mentions = ObjectMention.find(in: command, knownNouns: knownNouns)
            let list = ObjectWords.words(command)
            words = Set(list.map(ObjectWords.singular))
            isVague = list.contains { ObjectWords.vague.contains(ObjectWords.singular($0)) || ObjectWords.pronouns.contains($0) }
        }
    }

    /// The phrase, and which mention it is (nil when the command names none or the phrase was kept as is).
    private func resolve(_ phrase: String, _ reading: Reading, preferringPlace: Bool?) -> (phrase: String, mention: Int?) {
        let mentions = reading.mentions
        guard !mentions.isEmpty else {
            // The command names no object: a vague one may take the model's pick; otherwise the
            // phrase must be the operator's own words ("go home"), or there is no object ("stop").
            let own = Self.content(phrase).allSatisfy { reading.words.contains(ObjectWords.singular($0)) }
            return (reading.isVague || own ? labelled(phrase) : "", nil)
        }
        let described = ObjectDescriptor(phrase: phrase)
        let fitting = mentions.indices.filter { described.fits(mentions[$0].descriptor) }
        if let index = fitting.first(where: { preferringPlace == nil || mentions[$0].isPlace == preferringPlace }) ?? fitting.first {
            // The model's phrase is the operator's object, maybe with what the operator left open filled in.
            let merged = ObjectDescriptor(colours: described.colours, kind: mentions[index].descriptor.kind ?? described.kind)
            return (label(for: merged, preferring: Self.content(phrase)) ?? labelled(phrase), index)
        }
        // A substitute: the operator's own object instead, the one most like the phrase (the
        // same kind, then a shared colour), then the one in the role asked for.
        func likeness(_ mention: ObjectMention) -> Int {
            var score = 0
            if mention.descriptor.kind != nil && mention.descriptor.kind == described.kind { score += 4 }
            if !mention.descriptor.colours.isDisjoint(with: described.colours) { score += 2 }
            if preferringPlace.map({ mention.isPlace == $0 }) ?? !mention.isPlace { score += 1 }
            return score
        }
        var best = 0
        for index in mentions.indices.dropFirst() where likeness(mentions[index]) > likeness(mentions[best]) { best = index }
        return (label(for: mentions[best].descriptor, preferring: mentions[best].words) ?? Self.withArticle(mentions[best].words), best)
    }

    /// The vocabulary label with exactly these colours and this kind (the one with the same
    /// words first); none for a description without a kind.
    private func label(for descriptor: ObjectDescriptor, preferring words: [Substring]) -> String? {
        guard descriptor.kind != nil else { return nil }
        let matches = labels.filter { $0.descriptor == descriptor }
        return (matches.first { $0.content == words } ?? matches.first)?.label
    }

    /// The vocabulary label a phrase is up to its article ("red cube" is "a red cube"), else the phrase.
    private func labelled(_ phrase: String) -> String {
        let content = Self.content(phrase)
        return labels.first { $0.content == content }?.label ?? phrase
    }

    static func withArticle(_ words: [Substring]) -> String {
        let text = words.joined(separator: " ")
        guard let first = text.first else { return "" }
        return ("aeiou".contains(first) ? "an " : "a ") + text
    }

    /// The words of a phrase without determiners.
    static func content(_ phrase: String) -> [Substring] {
        ObjectWords.words(phrase).filter { !ObjectWords.determiners.contains($0) }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
