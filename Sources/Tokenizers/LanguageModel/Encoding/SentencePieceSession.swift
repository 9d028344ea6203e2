/// llama.cpp's `llm_tokenizer_spm_session::tokenize`: the text (spaces already escaped to
/// U+2581) is split into UTF-8 characters; adjacent pairs whose concatenation is a token
/// are merged, highest score first (ties: the leftmost), until none is left. A remaining
/// symbol that is not a token becomes its bytes' `<0xXX>` tokens (byte fallback).
///
/// llama.cpp's `resegment` also consults a reverse-merge map, but only for symbols that are
/// not tokens; every merged symbol is a token, so those are single characters, which no
/// pair of symbols can spell: the map is never used and is left out here.
struct SentencePieceSession {
    private struct Bigram: MergeOrdered {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32

        @inline(__always)
        func before(_ other: Bigram) -> Bool {
            score != other.score ? score > other.score : left < other.left
        }
    }

    private var start: [Int32] = []
    private var length: [Int32] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var heap = MinHeap<Bigram>()

    mutating func encode(_ text: [UInt8], vocabulary: LMVocabulary, byteTokens: [Int32], into output: inout [Int32]) {
        start.removeAll(keepingCapacity: true)
        length.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        heap.removeAll()
        var offset = 0
        var index: Int32 = 0
        while offset < text.count {
            let n = min(utf8Length(text[offset]), text.count - offset)
            start.append(Int32(offset))
            length.append(Int32(n))
            offset += n
            prev.append(index - 1)
            next.append(offset == text.count ? -1 : index + 1)
            index += 1
        }
        guard !start.isEmpty else { return }
        for i in 1..<start.count { addBigram(Int32(i - 1), Int32(i), text, vocabulary) }
        while let bigram = heap.pop() {
            let l = Int(bigram.left), r = Int(bigram.right)
            if length[l] == 0 || length[r] == 0 || length[l] + length[r] != bigram.size { continue }
            length[l] += length[r]
            length[r] = 0
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = bigram.left }
            addBigram(prev[l], bigram.left, text, vocabulary)
            addBigram(bigram.left, next[l], text, vocabulary)
        }
        var i: Int32 = 0
        while i != -1 {
            let s = Int(start[Int(i)]), n = Int(length[Int(i)])
            if let token = vocabulary.idOfText[Array(text[s..<(s + n)])] {
                output.append(token)
            } else {
                for byte in text[s..<(s + n)] { output.append(byteTokens[Int(byte)]) }
            }
            i = next[Int(i)]
        }
    }

    private mutating func addBigram(_ left: Int32, _ right: Int32, _ text: [UInt8], _ vocabulary: LMVocabulary) {
        guard left >= 0, right >= 0 else { return }
        let s = Int(start[Int(left)])
        let size = length[Int(left)] + length[Int(right)]
        guard let token = vocabulary.idOfText[Array(text[s..<(s + Int(size))])] else { return }
        heap.push(Bigram(score: vocabulary.scores[Int(token)], left: left, right: right, size: size))
    }
}

/// llama.cpp's `unicode_len_utf8`: the sequence length a lead byte announces (1 for
/// continuation bytes).
@inline(__always)
func utf8Length(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
}
