public import Tokenizers
import Synchronization

/// Byte strings as a trie laid out in depth-first order, so a walk is one forward pass
/// that skips a refused node's whole subtree at once and visits each shared prefix once.
final class TrieLayout: @unchecked Sendable {
    /// The byte on the edge into node i (node 0 is the first child of the implicit root).
    let bytes: UnsafeMutableBufferPointer<UInt8>
    /// Depth of node i, 1 for the root's children.
    let depths: UnsafeMutableBufferPointer<UInt16>
    /// One past the last node of i's subtree.
    let subtreeEnds: UnsafeMutableBufferPointer<Int32>
    /// The tokens whose bytes end at node i: `tokenIDs[tokenStarts[i]..<tokenStarts[i + 1]]`.
    let tokenStarts: UnsafeMutableBufferPointer<Int32>
    let tokenIDs: UnsafeMutableBufferPointer<Int32>
    let nodeCount: Int

    /// The trie of `pieces[id]` for each of `ids` (non-empty pieces).
    init(pieces: [[UInt8]], ids included: [Int]) {
        let order = included.sorted { a, b in
            pieces[a].lexicographicallyPrecedes(pieces[b]) || (pieces[a] == pieces[b] && a < b)
        }
        var bytes: [UInt8] = [], depths: [UInt16] = [], ends: [Int32] = [], starts: [Int32] = [], ids: [Int32] = []
        var open: [Int] = []  // the nodes on the path to the previous token, by depth - 1
        var previous: [UInt8] = []
        for id in order {
            let piece = pieces[id]
            var common = 0
            while common < min(piece.count, previous.count) && piece[common] == previous[common] { common += 1 }
            // Nodes deeper than the common prefix are finished: their subtrees end here.
            while open.count > common { ends[open.removeLast()] = Int32(bytes.count) }
            for depth in common..<piece.count {
                open.append(bytes.count)
                bytes.append(piece[depth])
                depths.append(UInt16(depth + 1))
                ends.append(0)
                starts.append(Int32(ids.count))
            }
            // The token ends at the newest node (a prefix sorts before its extensions, so
            // every token of a node is added before that node's children are made).
            ids.append(Int32(id))
            previous = piece
        }
        for node in open { ends[node] = Int32(bytes.count) }
        starts.append(Int32(ids.count))
        self.bytes = .copy(bytes)
        self.depths = .copy(depths)
        subtreeEnds = .copy(ends)
        tokenStarts = .copy(starts)
        tokenIDs = .copy(ids)
        nodeCount = bytes.count
    }

    deinit {
        bytes.deallocate()
        depths.deallocate()
        subtreeEnds.deallocate()
        tokenStarts.deallocate()
        tokenIDs.deallocate()
    }
}

extension UnsafeMutableBufferPointer {
    /// A buffer holding `array` (at least one element of room, so the base address exists).
    static func copy(_ array: [Element]) -> Self {
        let buffer = Self.allocate(capacity: Swift.max(array.count, 1))
        _ = buffer.initialize(from: array)
        return buffer
    }
}

/// A vocabulary's text tokens (normal and byte tokens; control, user-defined, unknown and
/// unused tokens are left out) indexed for the mask: a trie of all of them, and because most
/// of a mask's work is inside strings, a split of the tokens that are plain string text
/// (complete UTF-8, no quote, backslash or control character: each keeps a string going
/// and adds its scalar count) from the rest. Inside a string the plain tokens that fit are
/// taken by length without a walk and only the rest's trie is walked. Built once per
/// tokenizer (`shared(for:)` caches it).
public final class TokenTrie: @unchecked Sendable {
    let all: TrieLayout
    /// The tokens that are not plain string text.
    let notPlain: TrieLayout
    /// Plain-string tokens by scalar count; those of at most n scalars are the first
    /// `plainCountUpTo[min(n, plainCountUpTo.count - 1)]`.
    let plainTokens: UnsafeMutableBufferPointer<Int32>
    let plainCountUpTo: [Int]
    /// The longest token, in bytes.
    public let maxDepth: Int
    /// The vocabulary size (ids at or above it are never allowed).
    public let vocabularySize: Int
    /// Each token's bytes (empty for those left out), for advancing past a chosen token.
    let pieces: [[UInt8]]

    public var nodeCount: Int { all.nodeCount }

    /// The text tokens of `tokenizer`, by the bytes its detokenizer writes for them.
    public convenience init(tokenizer: LMTokenizer) {
        let vocabulary = tokenizer.vocabulary
        let pieces = (0..<vocabulary.count).map { id -> [UInt8] in
            let attributes = vocabulary.attributes[id]
            let isText = !attributes.isDisjoint(with: [.normal, .byte])
                && attributes.isDisjoint(with: [.control, .userDefined, .unknown, .unused])
            return isText ? tokenizer.piece(Int32(id)) : []
        }
        self.init(pieces: pieces)
    }

    /// Tokens by id; an empty piece is a token that is never allowed.
    public init(pieces: [[UInt8]]) {
        self.pieces = pieces
        vocabularySize = pieces.count
        maxDepth = pieces.map(\.count).max() ?? 0
        let text = pieces.indices.filter { !pieces[$0].isEmpty }
        let scalars = pieces.map(Self.plainScalarCount)
        all = TrieLayout(pieces: pieces, ids: text)
        notPlain = TrieLayout(pieces: pieces, ids: text.filter { scalars[$0] == nil })
        let plain = text.filter { scalars[$0] != nil }.sorted { (scalars[$0]!, $0) < (scalars[$1]!, $1) }
        plainTokens = .copy(plain.map(Int32.init))
        // A histogram of scalar counts, summed.
        var upTo = [Int](repeating: 0, count: (plain.last.map { scalars[$0]! } ?? 0) + 1)
        for id in plain { upTo[scalars[id]!] += 1 }
        for n in upTo.indices.dropFirst() { upTo[n] += upTo[n - 1] }
        plainCountUpTo = upTo
    }

    /// The number of Unicode scalars of a piece that is plain string text, else nil.
    static func plainScalarCount(_ piece: [UInt8]) -> Int? {
        guard !piece.isEmpty, !piece.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }),
            let text = String(validating: piece, as: UTF8.self)
        else { return nil }
        return text.unicodeScalars.count
    }

    deinit { plainTokens.deallocate() }

    private struct CacheEntry {
        weak var tokenizer: LMTokenizer?
        let trie: TokenTrie
    }

    private static let cache = Mutex<[ObjectIdentifier: CacheEntry]>([:])

    /// The trie of `tokenizer`, built on first use and kept while the tokenizer lives.
    public static func shared(for tokenizer: LMTokenizer) -> TokenTrie {
        let key = ObjectIdentifier(tokenizer)
        if let trie = cache.withLock({ $0[key].flatMap { $0.tokenizer === tokenizer ? $0.trie : nil } }) { return trie }
        let trie = TokenTrie(tokenizer: tokenizer)
        cache.withLock { entries in
            entries = entries.filter { $0.value.tokenizer != nil }
            entries[key] = CacheEntry(tokenizer: tokenizer, trie: trie)
        }
        return trie
    }
}
