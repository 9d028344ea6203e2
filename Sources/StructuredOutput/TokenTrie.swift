public import Tokenizers
import Synchronization

/// The byte strings of a vocabulary's text tokens (normal and byte tokens; control, user-defined,
/// unknown and unused tokens are left out) as a trie laid out in depth-first order, so the
/// mask walk is one forward pass that skips a rejected node's whole subtree at once and
/// walks each shared prefix once. Built once per tokenizer (`shared(for:)` caches it).
public final class TokenTrie: @unchecked Sendable {
    /// The byte on the edge into node i (node 0 is the first child of the implicit root).
    let bytes: UnsafeMutableBufferPointer<UInt8>
    /// Depth of node i, 1 for the root's children.
    let depths: UnsafeMutableBufferPointer<UInt16>
    /// One past the last node of i's subtree.
    let subtreeEnds: UnsafeMutableBufferPointer<Int32>
    /// The tokens whose bytes end at node i: `tokenIDs[tokenStarts[i]..<tokenStarts[i + 1]]`.
    let tokenStarts: UnsafeMutableBufferPointer<Int32>
    let tokenIDs: UnsafeMutableBufferPointer<Int32>
    public let nodeCount: Int
    /// The longest token, in bytes.
    public let maxDepth: Int
    /// The vocabulary size (ids at or above it are never allowed).
    public let vocabularySize: Int
    /// Each token's bytes (empty for those left out), for advancing past a chosen token.
    let pieces: [[UInt8]]

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
        let order = pieces.indices.filter { !pieces[$0].isEmpty }.sorted { a, b in
            pieces[a].lexicographicallyPrecedes(pieces[b]) || (pieces[a] == pieces[b] && a < b)
        }
        var bytes: [UInt8] = [], depths: [UInt16] = [], ends: [Int32] = [], starts: [Int32] = [], ids: [Int32] = []
        var open: [Int] = []  // the nodes on the path to the last token, by depth - 1
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
            ids.append(Int32(id))  // the token ends at the last open node, which is the newest
            previous = piece
        }
        for node in open { ends[node] = Int32(bytes.count) }
        starts.append(Int32(ids.count))

        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
            _ = buffer.initialize(from: array)
            return buffer
        }
        self.bytes = copy(bytes)
        self.depths = copy(depths)
        subtreeEnds = copy(ends)
        tokenStarts = copy(starts)
        tokenIDs = copy(ids)
        nodeCount = bytes.count
        maxDepth = pieces.map(\.count).max() ?? 0
    }

    deinit {
        bytes.deallocate()
        depths.deallocate()
        subtreeEnds.deallocate()
        tokenStarts.deallocate()
        tokenIDs.deallocate()
    }

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
