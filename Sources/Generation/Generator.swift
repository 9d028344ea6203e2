public import LanguageModel
public import Tokenizers
import Foundation

/// Runs a decoder with its tokenizer through a `TokenIterator`: prefills a prompt, then samples and decodes one
/// token at a time until an end-of-generation token, a stop string, `maxTokens`, a full
/// KV cache or cancellation. Text is streamed as it becomes complete (whole UTF-8
/// characters, never part of a stop string). Not thread-safe: the model is single-sequence.
public final class Generator {
    public let model: LanguageModel
    public let tokenizer: LMTokenizer

    public struct Options: Sendable {
        public var maxTokens: Int
        public var sampling: SamplingSettings
        /// Generation ends when the text reaches one of these (which is cut from the text).
        public var stopStrings: [String]
        /// Tokens that end generation; nil means the tokenizer's end-of-generation set.
        public var stopTokens: Set<Int32>?
        /// Keep the next-token logits after the prompt in the result.
        public var keepPromptLogits: Bool

        public init(maxTokens: Int = 256, sampling: SamplingSettings = .greedy, stopStrings: [String] = [],
                    stopTokens: Set<Int32>? = nil, keepPromptLogits: Bool = false) {
            self.maxTokens = maxTokens
            self.sampling = sampling
            self.stopStrings = stopStrings
            self.stopTokens = stopTokens
            self.keepPromptLogits = keepPromptLogits
        }
    }

    public init(model: LanguageModel, tokenizer: LMTokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Encodes `text` as a prompt (BOS as the vocabulary asks, special tokens parsed) and generates.
    public func generate(
        text: String, options: Options, constraint: (any TokenConstraint)? = nil,
        isCancelled: () -> Bool = { false }, onText: (String) -> Void = { _ in }
    ) throws(LanguageModelError) -> GenerationResult {
        let ids = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        return try generate(prompt: ids, options: options, constraint: constraint, isCancelled: isCancelled, onText: onText)
    }

    /// Generates after `prompt` (appended to whatever the model has cached; call
    /// `model.reset()` first for a fresh sequence). `onText` is called once per generated
    /// token with the text that token completed (possibly empty); `isCancelled` is asked
    /// after each call, before the next decode step (when it says yes, text still held
    /// back, if any, comes in one more call). A `constraint` (fresh for this generation) masks
    /// the logits before each draw; generation also ends when it says the output is complete.
    public func generate(
        prompt: [Int32], options: Options, constraint: (any TokenConstraint)? = nil,
        isCancelled: () -> Bool = { false }, onText: (String) -> Void = { _ in }
    ) throws(LanguageModelError) -> GenerationResult {
        try generate(input: prompt.map { .token($0) }, options: options, constraint: constraint,
                     isCancelled: isCancelled, onText: onText)
    }

    /// As `generate(prompt:)`, for a prompt that may contain embedding rows (e.g. an image's,
    /// spliced in by a vision-language model). The sampler's history holds the prompt's token ids.
    public func generate(
        input prompt: [LanguageModelInput], options: Options, constraint: (any TokenConstraint)? = nil,
        isCancelled: () -> Bool = { false }, onText: (String) -> Void = { _ in }
    ) throws(LanguageModelError) -> GenerationResult {
        let iterator = try TokenIterator(
            model: model, prompt: prompt,
            options: .init(maxTokens: options.maxTokens, sampling: options.sampling,
                           stopTokens: options.stopTokens ?? tokenizer.vocabulary.endOfGenerationIDs,
                           keepPromptLogits: options.keepPromptLogits),
            constraint: constraint)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var matcher = StopStringMatcher(options.stopStrings)
        var text = ""
        var reason = StopReason.maxTokens
        while let event = try iterator.next() {
            guard case .token(let next) = event else { continue }
            if case .endOfGeneration = iterator.stopReason {
                let (piece, _) = matcher.feed(detokenizer.finish())
                let rest = piece + matcher.flush()
                text += rest
                onText(rest)
                reason = .endOfGeneration(next)
                break
            }
            let (piece, stop) = matcher.feed(detokenizer.append(next))
            if let stop {
                text += piece
                onText(piece)
                reason = .stopString(stop)
                break
            }
            if let ended = iterator.stopReason {
                // Ending on this token: release what was held back with its piece.
                reason = ended
                let (tail, tailStop) = matcher.feed(detokenizer.finish())
                let out = piece + tail + (tailStop == nil ? matcher.flush() : "")
                if let tailStop { reason = .stopString(tailStop) }
                text += out
                onText(out)
                break
            }
            text += piece
            onText(piece)
            if isCancelled() {
                // One more call, only when text was held back (a partial character or stop string).
                let (tail, _) = matcher.feed(detokenizer.finish())
                let out = tail + matcher.flush()
                if !out.isEmpty {
                    text += out
                    onText(out)
                }
                iterator.cancel()
                reason = .cancelled
                break
            }
        }
        return GenerationResult(
            tokens: iterator.tokens, text: text, promptTokens: prompt.count, stopReason: reason,
            timings: GenerationTimings(prefillMs: Self.milliseconds(iterator.prefillTime),
                                       decodeMs: Self.milliseconds(iterator.decodeTime), decodedTokens: iterator.decodedTokens),
            promptLogits: iterator.promptLogits)
    }

    private static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
