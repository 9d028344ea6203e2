/// A byte-level BPE vocabulary with CLIP's `</w>` end-of-word marker: tokens,
/// their ids, and the merge ranks, all keyed by Unicode scalars or ids, never by
/// `String` (String equality would merge canonically equivalent tokens such as
/// "é" and "e\u{301}").
public struct BPEVocabulary: Sendable {
    public static let endOfWord: [Unicode.Scalar] = Array("</w>".unicodeScalars)
    public static let startToken: [Unicode.Scalar] = Array("<|startoftext|>".unicodeScalars)
    public static let endToken: [Unicode.Scalar] = Array("<|endoftext|>".unicodeScalars)

    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    /// Token of each id; nil for ids the files leave unused.
    let tokens: [[Unicode.Scalar]?]
    let ids: [[Unicode.Scalar]: Int32]
    /// (left id << 32 | right id) -> rank and merged token id.
    let merges: [UInt64: Merge]
    /// Id of each byte's character, and of that character + "</w>" (-1 if absent).
    let byteIDs: [Int32]
    let byteEndIDs: [Int32]
    public let startID: Int32
    public let endID: Int32

    /// Builds the lookup tables. `merges` are token pairs in rank order; every part
    /// and every concatenation must be in `tokens`. Errors are reasons; the loader
    /// adds the file name.
    init(tokens: [[Unicode.Scalar]?], merges pairs: [([Unicode.Scalar], [Unicode.Scalar])]) throws(VocabularyProblem) {
        var ids: [[Unicode.Scalar]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            guard let token else { continue }
            if let earlier = ids.updateValue(Int32(id), forKey: token) {
                throw .duplicateToken(token, firstID: Int(earlier), secondID: id)
            }
        }
        var merges: [UInt64: Merge] = [:]
        merges.reserveCapacity(pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            guard let a = ids[left] else { throw .merge(rank, "token \(quoted(left)) is not in the vocabulary") }
            guard let b = ids[right] else { throw .merge(rank, "token \(quoted(right)) is not in the vocabulary") }
            guard let result = ids[left + right] else {
                throw .merge(rank, "merged token \(quoted(left + right)) is not in the vocabulary")
            }
            let key = UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))
            // A repeated pair takes its last rank, as the reference's dict(zip(merges, range(n))) does.
            merges[key] = Merge(rank: Int32(rank), result: result)
        }
        guard let start = ids[Self.startToken] else { throw .missingSpecialToken("<|startoftext|>") }
        guard let end = ids[Self.endToken] else { throw .missingSpecialToken("<|endoftext|>") }
        self.tokens = tokens
        self.ids = ids
        self.merges = merges
        byteIDs = ByteLevel.scalarOfByte.map { ids[[$0]] ?? -1 }
        byteEndIDs = ByteLevel.scalarOfByte.map { ids[[$0] + Self.endOfWord] ?? -1 }
        startID = start
        endID = end
    }

    /// Number of ids (largest id + 1).
    public var count: Int { tokens.count }

    /// Id of a token given as Unicode scalars (compared scalar by scalar).
    public func id(of token: some Sequence<Unicode.Scalar>) -> Int32? {
        ids[Array(token)]
    }

    /// The token of an id, as Unicode scalars.
    public func token(of id: Int32) -> [Unicode.Scalar]? {
        guard id >= 0 && Int(id) < tokens.count else { return nil }
        return tokens[Int(id)]
    }
}

/// What can be wrong with vocabulary data, before a loader names the file.
enum VocabularyProblem: Error {
    case duplicateToken([Unicode.Scalar], firstID: Int, secondID: Int)
    case missingSpecialToken(String)
    /// Index of the merge (0-based, in rank order) and the reason.
    case merge(Int, String)

    var reason: String {
        switch self {
        case .duplicateToken(let token, let first, let second):
            return "token \(quoted(token)) appears twice (ids \(first) and \(second))"
        case .missingSpecialToken(let name):
            return "no \(name) token"
        case .merge(_, let reason):
            return reason
        }
    }
}
