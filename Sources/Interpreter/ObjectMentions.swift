/// What a noun phrase says about an object: its colours and the kind of thing it is, with
/// synonyms folded ("block" and "cube" are one kind, "sphere" and "ball" another), so two
/// phrases can be compared for whether they could name the same object.
struct ObjectDescriptor: Equatable, Sendable {
    /// Colour words, canonical ("gray" is "grey").
    var colours: Set<String>
    /// The kind: a canonical shape ("cube") or the head noun itself, singular ("apple");
    /// nil when the phrase names no kind ("the red one", "that thing").
    var kind: String?

    var isEmpty: Bool { colours.isEmpty && kind == nil }

    /// Whether an object described by `self` can be the one `named` describes: every colour
    /// and the kind the operator said must hold; what the operator left open may be filled in
    /// (the model may pick "a red cube" for "the cube").
    func fits(_ named: ObjectDescriptor) -> Bool {
        if !named.colours.isEmpty && !named.colours.isSubset(of: colours) { return false }
        if let kind = named.kind, self.kind != kind { return false }
        // A phrase with colours the operator did not say is a fit only when the operator said no colour.
        if !named.colours.isEmpty && !colours.isSubset(of: named.colours) { return false }
        return true
    }
}

/// An object the operator named in a command, found from the command's own words.
struct ObjectMention: Equatable, Sendable {
    var descriptor: ObjectDescriptor
    /// The operator's words for it, articles left out ("purple block").
    var words: [Substring]
    /// Introduced by a preposition of place ("on", "next to", "into"): where to put or bring something.
    var isPlace: Bool
}

/// The few words the interpreter needs to read commands: colours, shapes and their synonyms,
/// and the small words that open, qualify or end a noun phrase.
enum ObjectWords {
    static let colours: [Substring: String] = [
        "red": "red", "green": "green", "blue": "blue", "yellow": "yellow", "orange": "orange",
        "purple": "purple", "violet": "purple", "pink": "pink", "black": "black", "white": "white",
        "brown": "brown", "grey": "grey", "gray": "grey", "gold": "gold", "silver": "silver", "cyan": "cyan",
        "magenta": "magenta", "teal": "teal", "beige": "beige",
    ]

    /// Shape nouns (singular) and the shape they mean.
    static let shapes: [Substring: String] = [
        "cube": "cube", "block": "cube", "brick": "cube",
        "ball": "ball", "sphere": "ball", "orb": "ball",
        "cylinder": "cylinder",
        "cone": "cone", "pylon": "cone",
        "ring": "ring", "donut": "ring", "doughnut": "ring", "hoop": "ring", "torus": "ring",
    ]

    /// Nouns that name no particular kind: a command using them is vague about the kind.
    static let vague: Set<Substring> = [
        "one", "thing", "object", "item", "stuff", "something", "anything", "snack", "toy", "food", "drink",
        "bit", "moment", "second", "while", "lot",
    ]

    /// Words that stand for an object without naming it.
    static let pronouns: Set<Substring> = ["it", "that", "this", "them", "those", "these", "one"]

    /// Words that open a noun phrase.
    static let determiners: Set<Substring> = [
        "a", "an", "the", "that", "this", "these", "those", "my", "your", "our", "some", "its",
    ]

    /// Qualifiers between a determiner and the noun; they do not change what the object is.
    static let qualifiers: Set<Substring> = [
        "small", "big", "large", "little", "tiny", "huge", "short", "tall", "long", "dark", "light", "bright",
        "shiny", "left", "right", "middle", "top", "bottom", "front", "back", "near", "far", "other", "same",
        "gentle", "nearest", "closest", "farthest", "first", "second", "last", "whole", "entire", "round",
        "square", "plastic", "wooden", "metal",
    ]

    /// Prepositions that say where something goes or is put.
    static let places: Set<Substring> = [
        "on", "onto", "in", "into", "inside", "to", "toward", "towards", "next", "beside", "near", "by",
        "under", "underneath", "behind", "above", "over", "atop", "against", "between",
    ]

    /// Words that end a noun phrase (or never start one).
    static let boundaries: Set<Substring> = [
        "please", "now", "gently", "slowly", "quickly", "carefully", "softly", "again", "up", "down", "away",
        "here", "there", "back", "and", "or", "then", "too", "it", "me", "us", "him", "her", "them", "you",
        "for", "with", "of", "from", "at", "off", "is", "are", "that", "which", "thanks", "thank", "right",
        "just", "also", "so", "if", "as", "all", "be",
    ]

    /// The singular of a plural noun ("cubes" -> "cube", "keys" -> "key"; "glass" stays).
    static func singular(_ word: Substring) -> Substring {
        if word.count > 3 && word.hasSuffix("s") && !word.hasSuffix("ss") { return word.dropLast() }
        return word
    }

    /// The kind a noun names: its shape when it is a shape word, else the noun itself;
    /// nil for a vague noun.
    static func kind(_ noun: Substring) -> String? {
        let one = singular(noun)
        if vague.contains(one) || vague.contains(noun) { return nil }
        return shapes[one] ?? shapes[noun] ?? String(one)
    }

    static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "-" }
    }
}

extension ObjectDescriptor {
    /// What a noun phrase (the model's target, a vocabulary label) describes: its colours, and
    /// its last noun before any preposition ("a ball on the left" is a ball).
    init(phrase: String) {
        var colours = Set<String>()
        var noun: Substring?
        for word in ObjectWords.words(phrase) {
            if ObjectWords.places.contains(word) && noun != nil { break }
            if let colour = ObjectWords.colours[word] {
                colours.insert(colour)
            } else if !ObjectWords.determiners.contains(word) && !ObjectWords.qualifiers.contains(word)
                        && !ObjectWords.boundaries.contains(word) {
                noun = word
            }
        }
        self.init(colours: colours, kind: noun.flatMap(ObjectWords.kind))
    }
}

extension ObjectMention {
    /// The objects a command names, in order: each a noun phrase opened by a determiner, a
    /// colour or a shape word, with its colours and qualifiers and the noun that ends it. A
    /// phrase naming neither a colour nor a kind ("that thing") names nothing in particular
    /// and is left out. `knownNouns` (the scene vocabulary's head nouns) end a phrase as shape
    /// words do.
    static func find(in command: String, knownNouns: Set<Substring> = []) -> [ObjectMention] {
        let words = ObjectWords.words(command)
        var mentions: [ObjectMention] = []
        var i = 0
        var afterLast = 0
        func isNoun(_ word: Substring) -> Bool {
            let one = ObjectWords.singular(word)
            return ObjectWords.shapes[one] != nil || ObjectWords.shapes[word] != nil || knownNouns.contains(one)
                || knownNouns.contains(word)
        }
        while i < words.count {
            let word = words[i]
            let opened = ObjectWords.determiners.contains(word)
            guard opened || ObjectWords.colours[word] != nil || isNoun(word) else { i += 1; continue }
            let start = opened ? i + 1 : i
            var j = start
            var colours = Set<String>()
            while j < words.count, ObjectWords.colours[words[j]] != nil || ObjectWords.qualifiers.contains(words[j]) {
                if let colour = ObjectWords.colours[words[j]] { colours.insert(colour) }
                j += 1
            }
            // The noun: a shape or known word ends the phrase at once; after a determiner an
            // unknown word may be a compound ("remote control"), at most three words long.
            var noun: Substring?
            var nounEnd = j
            while nounEnd < words.count && nounEnd - j < 3 {
                let candidate = words[nounEnd]
                if ObjectWords.boundaries.contains(candidate) || ObjectWords.places.contains(candidate)
                    || ObjectWords.determiners.contains(candidate) || ObjectWords.colours[candidate] != nil { break }
                guard opened || noun == nil && (isNoun(candidate) || ObjectWords.vague.contains(ObjectWords.singular(candidate)))
                else { break }
                noun = candidate
                nounEnd += 1
                if isNoun(candidate) || ObjectWords.vague.contains(ObjectWords.singular(candidate)) { break }
            }
            // "the cone that is purple": a colour said after the noun.
            if noun != nil, nounEnd + 2 < words.count, ["that", "which"].contains(words[nounEnd]),
               ["is", "are"].contains(words[nounEnd + 1]), let colour = ObjectWords.colours[words[nounEnd + 2]] {
                colours.insert(colour)
                nounEnd += 3
            }
            let descriptor = ObjectDescriptor(colours: colours, kind: noun.flatMap(ObjectWords.kind))
            if !descriptor.isEmpty {
                let isPlace = words[afterLast..<i].contains { ObjectWords.places.contains($0) }
                mentions.append(ObjectMention(
                    descriptor: descriptor, words: Array(words[start..<nounEnd]), isPlace: isPlace))
                afterLast = nounEnd
            }
            i = max(nounEnd, i + 1)
        }
        return mentions
    }
}
