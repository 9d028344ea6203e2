/// How the next token is chosen. The defaults are greedy (temperature 0); the filters
/// apply as in llama.cpp's default chain: repetition penalty, top-k, top-p, min-p,
/// temperature, then a draw from the remaining distribution.
public struct SamplingSettings: Sendable, Equatable {
    /// 0 picks the most likely token (after the repetition penalty); > 0 divides the logits.
    public var temperature: Float = 0
    /// Keep the k most likely tokens; 0 keeps all.
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.
    public var topP: Float = 1
    /// Drop tokens less likely than minP times the most likely one; 0 keeps all.
    public var minP: Float = 0
    /// llama.cpp's repeat_penalty: over the last `repetitionWindow` tokens, positive logits
    /// are divided by it and negative ones multiplied; 1 is off.
    public var repetitionPenalty: Float = 1
    /// How many of the last tokens (prompt included) the penalty looks at (llama.cpp's
    /// repeat_last_n, 64 by default).
    public var repetitionWindow: Int = 64
    /// Seed of `SeededRandom`.
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, repetitionWindow: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    public static let greedy = SamplingSettings()

    /// The first setting out of range, described; nil when all are usable.
    public func validate() -> String? {
        if !(temperature >= 0) || !temperature.isFinite { return "temperature must be >= 0, found \(temperature)" }
        if topK < 0 { return "top-k must be >= 0, found \(topK)" }
        if !(topP > 0 && topP <= 1) { return "top-p must be in (0, 1], found \(topP)" }
        if !(minP >= 0 && minP <= 1) { return "min-p must be in [0, 1], found \(minP)" }
        if !(repetitionPenalty > 0) || !repetitionPenalty.isFinite { return "repetition penalty must be > 0, found \(repetitionPenalty)" }
        if repetitionWindow < 0 { return "repetition window must be >= 0, found \(repetitionWindow)" }
        return nil
    }
}
