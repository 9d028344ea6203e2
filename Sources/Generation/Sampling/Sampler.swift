import Foundation

/// Chooses the next token from a row of logits under `SamplingSettings`, with llama.cpp's
/// semantics for each filter: repetition penalty, top-k, top-p (on the untempered
/// softmax), min-p (relative to the most likely token), temperature, then a draw with
/// `SeededRandom`. Temperature 0 is argmax (lowest id on ties, as `LanguageModel.greedy`).
public struct Sampler: Sendable {
    public let settings: SamplingSettings
    private var random: SeededRandom

    /// One token that survived the filters, with its final (tempered, renormalised) probability.
    public struct Candidate: Sendable, Equatable {
        public var id: Int32
        public var logit: Float
        public var probability: Float
    }

    public init(_ settings: SamplingSettings = .greedy) {
        self.settings = settings
        random = SeededRandom(seed: settings.seed)
    }

    /// The next token after `logits`; `history` is the sequence so far (for the penalty).
    public mutating func sample(logits: [Float], history: [Int32] = []) -> Int32 {
        if settings.temperature == 0 {
            guard settings.repetitionPenalty != 1, !history.isEmpty else { return Self.argmax(logits) }
            var penalized = logits
            Self.penalize(&penalized, history: history, penalty: settings.repetitionPenalty, window: settings.repetitionWindow)
            return Self.argmax(penalized)
        }
        let candidates = candidates(logits: logits, history: history)
        let u = Float(random.nextUnit())
        var cumulative: Float = 0
        for candidate in candidates {
            cumulative += candidate.probability
            if u < cumulative { return candidate.id }
        }
        // Rounding left u above the sum: the last token that can be drawn at all (a masked
        // token, probability 0, never is).
        return (candidates.last { $0.probability > 0 } ?? candidates[0]).id
    }

    /// The distribution `sample` draws from: the surviving tokens, most likely first (ties
    /// by lowest id), probabilities summing to 1. At temperature 0, the argmax alone.
    public func candidates(logits: [Float], history: [Int32] = []) -> [Candidate] {
        precondition(!logits.isEmpty, "no logits")
        var penalized = logits
        if settings.repetitionPenalty != 1 {
            Self.penalize(&penalized, history: history, penalty: settings.repetitionPenalty, window: settings.repetitionWindow)
        }
        let values = penalized
        if settings.temperature == 0 {
            let best = Self.argmax(values)
            return [Candidate(id: best, logit: values[Int(best)], probability: 1)]
        }
        var ids = Array(0..<Int32(values.count))
        let byLogit: (Int32, Int32) -> Bool = { a, b in
            values[Int(a)] != values[Int(b)] ? values[Int(a)] > values[Int(b)] : a < b
        }
        if settings.topK > 0 && settings.topK < ids.count {
            ids = Array(Self.largest(settings.topK, of: ids, by: byLogit))
        } else {
            ids.sort(by: byLogit)
        }
        // top-p: the shortest prefix whose untempered probability reaches p (at least one token).
        if settings.topP < 1 {
            let probabilities = Self.softmax(ids.map { values[Int($0)] })
            var cumulative: Float = 0
            var keep = ids.count
            for (i, p) in probabilities.enumerated() {
                cumulative += p
                if cumulative >= settings.topP { keep = i + 1; break }
            }
            ids.removeSubrange(keep...)
        }
        // min-p: logit >= max + log(minP), i.e. probability >= minP * the largest probability.
        if settings.minP > 0 {
            let threshold = values[Int(ids[0])] + log(settings.minP)
            let keep = max(1, ids.prefix { values[Int($0)] >= threshold }.count)
            ids.removeSubrange(keep...)
        }
        let tempered = ids.map { values[Int($0)] / settings.temperature }
        let probabilities = Self.softmax(tempered)
        return zip(ids, probabilities).map { Candidate(id: $0, logit: values[Int($0)], probability: $1) }
    }

    /// llama.cpp's repeat penalty: each distinct token of the last `window` of `history`
    /// has its logit divided by `penalty` when positive, multiplied when negative.
    public static func penalize(_ logits: inout [Float], history: [Int32], penalty: Float, window: Int) {
        guard penalty != 1, window > 0 else { return }
        var seen = Set<Int32>()
        for id in history.suffix(window) where id >= 0 && Int(id) < logits.count && seen.insert(id).inserted {
            let l = logits[Int(id)]
            logits[Int(id)] = l > 0 ? l / penalty : l * penalty
        }
    }

    /// The index of the largest value, the lowest on ties.
    public static func argmax(_ values: [Float]) -> Int32 {
        var best = 0
        for i in values.indices.dropFirst() where values[i] > values[best] { best = i }
        return Int32(best)
    }

    static func softmax(_ values: [Float]) -> [Float] {
        guard let top = values.max() else { return [] }
        let e = values.map { exp($0 - top) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// The `k` first of `ids` in `order`, sorted, without sorting everything.
    private static func largest(_ k: Int, of ids: [Int32], by order: (Int32, Int32) -> Bool) -> ArraySlice<Int32> {
        var kept = ids.prefix(k).sorted(by: order)
        for id in ids.dropFirst(k) where order(id, kept[k - 1]) {
            var i = k - 1
            while i > 0 && order(id, kept[i - 1]) { i -= 1 }
            kept.insert(id, at: i)
            kept.removeLast()
        }
        return kept[...]
    }
}
