/// Why generation ended.
public enum StopReason: Sendable, Equatable {
    /// The model emitted one of the end-of-generation tokens (it is the last of `tokens`).
    case endOfGeneration(Int32)
    /// The text reached this stop string (which is not part of `text`).
    case stopString(String)
    case maxTokens
    /// The token constraint admits nothing more (a schema's JSON value is complete).
    case constraintComplete
    /// The KV cache is full.
    case contextFull
    case cancelled
}

/// Wall-clock time of the two phases. `tokensPerSecond` is decode throughput: the tokens
/// fed back through the model one by one, over `decodeMs` (0 when there were none).
public struct GenerationTimings: Sendable, Equatable {
    public var prefillMs: Double
    public var decodeMs: Double
    public var decodedTokens: Int

    public var tokensPerSecond: Double { decodeMs > 0 ? Double(decodedTokens) / (decodeMs / 1000) : 0 }
}

public struct GenerationResult: Sendable {
    /// The generated ids, in order (an end-of-generation token included, as `LanguageModel.greedy`).
    public var tokens: [Int32]
    /// The generated text (control tokens not rendered; cut before a stop string).
    public var text: String
    public var promptTokens: Int
    public var stopReason: StopReason
    public var timings: GenerationTimings
    /// The next-token logits after the prompt, when asked for.
    public var promptLogits: [Float]?
}
