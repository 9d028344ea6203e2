/// The character classes the CLIP reference uses, built once from the generated
/// tables. BMP characters are answered from one flag byte each.
struct CharacterClasses: Sendable {
    static let shared = CharacterClasses()

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        /// `[\p{L}]` of the CLIP pattern (regex module, IGNORECASE).
        static let letter = Flags(rawValue: 1)
        /// `[\p{N}]` of the CLIP pattern.
        static let number = Flags(rawValue: 2)
        /// `[^\s\p{L}\p{N}]` of the CLIP pattern.
        static let other = Flags(rawValue: 4)
        /// The regex module's `\s` (whitespace_clean's `\s+`).
        static let regexSpace = Flags(rawValue: 8)
        /// Python's str.isspace() (str.strip(), and `re`'s `\s` in ftfy).
        static let pythonSpace = Flags(rawValue: 16)
    }

    private var bmp = [Flags](repeating: [], count: 0x10000)
    private let astral: [(Flags, ScalarSet)]

    private init() {
        let sets: [(Flags, ScalarSet)] = [
            (.letter, ScalarSet(table: GeneratedPatternTables.letter)),
            (.number, ScalarSet(table: GeneratedPatternTables.number)),
            (.other, ScalarSet(table: GeneratedPatternTables.other)),
            (.regexSpace, ScalarSet(table: GeneratedPatternTables.regexSpace)),
            (.pythonSpace, ScalarSet(table: GeneratedPatternTables.isSpace)),
        ]
        for c in 0..<UInt32(0x10000) {
            var flags: Flags = []
            for (flag, set) in sets where set.contains(c) { flags.insert(flag) }
            bmp[Int(c)] = flags
        }
        astral = sets
    }

    @inline(__always)
    func flags(_ c: UInt32) -> Flags {
        if c < 0x10000 { return bmp[Int(c)] }
        var flags: Flags = []
        for (flag, set) in astral where set.contains(c) { flags.insert(flag) }
        return flags
    }
}
