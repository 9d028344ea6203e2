/// llama.cpp's `llm_tokenizer_bpe_session::tokenize` for one word: one symbol per byte
/// (its byte-level character), then the lowest-ranked adjacent pair is merged (ties: the
/// leftmost) until no ranked pair is left. A final symbol that is not a token falls back to
/// the tokens of its single bytes, skipping bytes that have none, as llama.cpp does.
struct ByteLevelBPESession {
    private struct Bigram: MergeOrdered {
        var rank: Int32
        var left: Int32
        var right: Int32
        var leftPiece: Int32
        var rightPiece: Int32
        var result: Int32

        @inline(__always)
        func before(_ other: Bigram) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }

    private var pieces: [Int32] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var heap = MinHeap<Bigram>()

    mutating func encode(word: ArraySlice<UInt8>, table: BPEMergeTable, into output: inout [Int32]) {
        let n = word.count
        guard n > 0 else { return }
        pieces.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        heap.removeAll()
        for (i, byte) in word.enumerated() {
            pieces.append(table.byteSymbol[Int(byte)])
            prev.append(Int32(i - 1))
            next.append(i + 1 == n ? -1 : Int32(i + 1))
        }
        if n > 1 {
            for i in 1..<n { addBigram(Int32(i - 1), Int32(i), table) }
        }
        while let bigram = heap.pop() {
            let l = Int(bigram.left), r = Int(bigram.right)
            // Outdated: a side was merged away or has grown since the pair was queued.
            guard pieces[l] == bigram.leftPiece, pieces[r] == bigram.rightPiece else { continue }
            pieces[l] = bigram.result
            pieces[r] = -1
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = bigram.left }
            addBigram(prev[l], bigram.left, table)
            addBigram(bigram.left, next[l], table)
        }
        var i: Int32 = 0
        while i != -1 {
            let piece = pieces[Int(i)]
            if piece < table.tokenCount {
                output.append(piece)
            } else {
                for byte in table.extraTexts[Int(piece - table.tokenCount)] {
                    let token = table.singleByteToken[Int(byte)]
                    if token >= 0 { output.append(token) }
                }
            }
            i = next[Int(i)]
        }
    }

    @inline(__always)
    private mutating func addBigram(_ left: Int32, _ right: Int32, _ table: BPEMergeTable) {
        guard left >= 0, right >= 0 else { return }
        let a = pieces[Int(left)], b = pieces[Int(right)]
        guard let found = table.merges[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))] else { return }
        heap.push(Bigram(rank: Int32(found >> 32), left: left, right: right, leftPiece: a, rightPiece: b, result: Int32(truncatingIfNeeded: found)))
    }
}
