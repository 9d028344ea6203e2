import Synchronization

/// CLIP's `bpe()`: merges a word's byte characters (the last one carrying `</w>`)
/// by rank until no ranked pair is left. Works on ids, so no strings are built;
/// results are cached per word, as the reference does.
final class BytePairEncoder: Sendable {
    let vocabulary: BPEVocabulary
    private let cache = Mutex<[[UInt8]: [Int32]]>([:])
    /// The cache is dropped when it grows past this many words, which bounds memory
    /// for a long-running node fed arbitrary text.
    static let cacheLimit = 50_000

    init(vocabulary: BPEVocabulary) {
        self.vocabulary = vocabulary
    }

    /// Ids of one pre-token given as UTF-8 bytes.
    func encode(word: [UInt8]) -> [Int32] {
        if word.isEmpty { return [] }
        if let hit = cache.withLock({ $0[word] }) { return hit }
        let ids = merge(word)
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[word] = ids
        }
        return ids
    }

    private func merge(_ word: [UInt8]) -> [Int32] {
        let v = vocabulary
        var symbols = word.map { v.byteIDs[Int($0)] }
        symbols[symbols.count - 1] = v.byteEndIDs[Int(word[word.count - 1])]
        // A symbol the vocabulary lacks (-1) cannot merge and becomes the unknown token.
        while symbols.count > 1 {
            var best: BPEVocabulary.Merge? = nil
            var bestLeft: Int32 = 0, bestRight: Int32 = 0
            for i in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(bitPattern: symbols[i])) << 32 | UInt64(UInt32(bitPattern: symbols[i + 1]))
                if let m = v.merges[key], best == nil || m.rank < best!.rank {
                    best = m
                    bestLeft = symbols[i]
                    bestRight = symbols[i + 1]
                }
            }
            guard let best else { break }
            // Every non-overlapping occurrence, left to right, as the reference does.
            var merged: [Int32] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count && symbols[i] == bestLeft && symbols[i + 1] == bestRight {
                    merged.append(best.result)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols.map { $0 < 0 ? v.endID : $0 }
    }
}
