public import LanguageModel
import Foundation

/// The one decode loop, as resumable steps: each `next()` runs one prefill chunk of the
/// prompt or produces one token (feeding the previous token through the model first, then
/// masking the logits with the constraint and drawing with the sampler). The caller decides
/// what happens between steps: the generator streams text and checks stop strings and
/// cancellation; the interpreter yields to frame jobs.
///
/// Generation ends on an end-of-generation token (which is returned, then `stopReason` says
/// so), on the constraint's completion, after `maxTokens` tokens, or when the KV cache is full;
/// the token that ended it is never fed to the model. Not thread-safe: the model is single-sequence.
public final class TokenIterator {
    public enum Event: Sendable, Equatable {
        /// A chunk of this many prompt inputs ran.
        case prefilled(Int)
        /// The next token (the last one when `stopReason` is now set).
        case token(Int32)
    }

    public struct Options: Sendable {
        public var maxTokens: Int
        public var sampling: SamplingSettings
        /// Tokens that end generation (they are returned, then generation stops).
        public var stopTokens: Set<Int32>
        /// Prompt inputs run per step (the whole prompt at once by default).
        public var prefillChunk: Int
        /// Keep the logits after the prompt in `promptLogits`.
        public var keepPromptLogits: Bool

        public init(maxTokens: Int, sampling: SamplingSettings = .greedy, stopTokens: Set<Int32>,
                    prefillChunk: Int = .max, keepPromptLogits: Bool = false) {
            self.maxTokens = maxTokens
            self.sampling = sampling
            self.stopTokens = stopTokens
            self.prefillChunk = prefillChunk
            self.keepPromptLogits = keepPromptLogits
        }
    }

    public let model: LanguageModel
    public let options: Options
    private let constraint: (any TokenConstraint)?
    private var sampler: Sampler
    private var pending: ArraySlice<LanguageModelInput>
    /// Token ids of the sequence so far (the sampler's repetition history).
    private var history: [Int32]
    private var logits: [Float] = []
    /// The last token drawn, not yet fed to the model.
    private var unfed: Int32?

    /// The generated tokens, in order (an end-of-generation token included).
    public private(set) var tokens: [Int32] = []
    /// Why generation ended; nil while it goes on.
    public private(set) var stopReason: StopReason?
    /// Inputs this iterator ran through the model (prompt inputs, then generated tokens).
    public private(set) var evaluated = 0
    public private(set) var promptLogits: [Float]?
    public private(set) var prefillTime = Duration.zero
    public private(set) var decodeTime = Duration.zero
    /// Generated tokens fed back through the model.
    public private(set) var decodedTokens = 0

    /// Continues after whatever the model holds with `prompt` (not empty). `context` is the
    /// token ids already in the model's cache, for the sampler's repetition penalty. A
    /// `constraint` is fresh for this generation.
    public init(model: LanguageModel, prompt: some Collection<LanguageModelInput>, context: [Int32] = [],
                options: Options, constraint: (any TokenConstraint)? = nil) throws(LanguageModelError) {
        guard options.maxTokens > 0 else { throw .invalidInput("max tokens must be positive, found \(options.maxTokens)") }
        guard options.prefillChunk > 0 else { throw .invalidInput("the prefill chunk must be positive, found \(options.prefillChunk)") }
        if let problem = options.sampling.validate() { throw .invalidInput(problem) }
        guard !prompt.isEmpty else { throw .invalidInput("the prompt is empty") }
        self.model = model
        self.options = options
        self.constraint = constraint
        sampler = Sampler(options.sampling)
        pending = ArraySlice(prompt)
        history = context + prompt.compactMap { if case .token(let id) = $0 { id } else { nil } }
    }

    public var isFinished: Bool { stopReason != nil }

    /// Runs one step; nil once generation has ended.
    public func next() throws(LanguageModelError) -> Event? {
        guard stopReason == nil else { return nil }
        let clock = ContinuousClock()
        if !pending.isEmpty {
            let chunk = pending.prefix(options.prefillChunk)
            let start = clock.now
            logits = try model.prefill(Array(chunk))
            prefillTime += clock.now - start
            pending.removeFirst(chunk.count)
            evaluated += chunk.count
            if pending.isEmpty && options.keepPromptLogits { promptLogits = logits }
            return .prefilled(chunk.count)
        }
        if let token = unfed {
            let start = clock.now
            logits = try model.decode(token)
            decodeTime += clock.now - start
            unfed = nil
            evaluated += 1
            decodedTokens += 1
        }
        if let constraint { try constraint.mask(&logits, endTokens: options.stopTokens) }
        let token = sampler.sample(logits: logits, history: history)
        try constraint?.advance(token)
        tokens.append(token)
        history.append(token)
        if options.stopTokens.contains(token) {
            stopReason = .endOfGeneration(token)
        } else if constraint?.isComplete ?? false {
            stopReason = .constraintComplete
        } else if tokens.count >= options.maxTokens {
            stopReason = .maxTokens
        } else if model.position >= model.tokenBudget {
            stopReason = .contextFull
        } else {
            unfed = token
        }
        return .token(token)
    }

    /// Ends generation here (the last token stays unfed).
    public func cancel() {
        if stopReason == nil { stopReason = .cancelled }
    }
}
