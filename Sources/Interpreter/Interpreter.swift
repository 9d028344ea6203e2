public import Generation
public import LanguageModel
import Foundation
public import StructuredOutput
public import Tokenizers

/// Turns a command into an `InterpretedTask` with a language model, under a JSON
/// schema built from the action vocabulary, one schedulable step at a time.
///
/// The system prompt and few-shot examples form a prefix that is evaluated once;
/// every command reuses its keys and values (the longest common token prefix
/// with what the cache holds), so a command costs only its own tokens.
///
/// Not thread-safe: one session at a time, driven from the compute executor's thread.
public final class Interpreter: @unchecked Sendable {
    public struct Settings: Sendable {
        public var actions: [String]
        public var maxTokens: Int
        /// Scene labels (what CLIP currently sees) offered to the model, at most this many.
        public var visibleLabels: Int
        /// Command tokens prefilled per step. A step cannot be interrupted, so this bounds how
        /// long a frame job may wait behind interpretation (16 tokens: about 100 ms for a 0.5B
        /// model on two cores).
        public var prefillChunk: Int

        public init(actions: [String], maxTokens: Int = 64, visibleLabels: Int = 6, prefillChunk: Int = 16) {
            self.actions = actions
            self.maxTokens = maxTokens
            self.visibleLabels = visibleLabels
            self.prefillChunk = prefillChunk
        }
    }

    public let model: LanguageModel
    public let tokenizer: LMTokenizer
    public let template: ChatTemplate
    public let prompt: InterpreterPrompt
    public let settings: Settings
    public let schema: JSONSchema
    private let trie: TokenTrie
    /// The tokens whose keys and values the model's cache holds, in order.
    private var cached: [Int32] = []
    private var active = false

    public init(model: LanguageModel, tokenizer: LMTokenizer, template: ChatTemplate,
                prompt: InterpreterPrompt, settings: Settings) throws {
        guard !settings.actions.isEmpty else { throw InterpreterError.invalidConfiguration("the action vocabulary is empty") }
        guard settings.maxTokens > 0 else { throw InterpreterError.invalidConfiguration("max tokens must be positive") }
        guard settings.prefillChunk > 0 else { throw InterpreterError.invalidConfiguration("the prefill chunk must be positive") }
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.prompt = prompt
        self.settings = settings
        schema = try JSONSchema(json: TaskSchema.json(actions: settings.actions))
        trie = TokenTrie.shared(for: tokenizer)
        // Evaluate the shared prefix now, not on the first command's deadline.
        let prefix = tokenizer.encode(template.render(prompt.messages), addSpecial: true, parseSpecial: true)
        model.reset()
        _ = try model.prefill(prefix.map { .token($0) })
        cached = prefix
    }

    /// The rendered prompt of one command (exposed for tests and logs).
    public func promptText(command: String, visible: [String]) -> String {
        template.render(prompt.messages + [.user(InterpreterPrompt.userTurn(command: command, visible: Array(visible.prefix(settings.visibleLabels))))])
    }

    /// Starts interpreting `command`; drive the session with `step()` until it finishes.
    public func session(command: String, visible: [String], deadlineNs: UInt64,
                        now: @escaping @Sendable () -> UInt64) throws -> InterpretationSession {
        guard !active else { throw InterpreterError.busy }
        let ids = tokenizer.encode(promptText(command: command, visible: visible), addSpecial: true, parseSpecial: true)
        guard ids.count + settings.maxTokens <= model.tokenBudget else {
            throw InterpreterError.commandTooLong(tokens: ids.count, budget: model.tokenBudget - settings.maxTokens)
        }
        var common = 0
        while common < min(ids.count, cached.count) - 1 && ids[common] == cached[common] { common += 1 }
        try model.rewind(to: common)
        cached.removeSubrange(common...)
        active = true
        return InterpretationSession(
            interpreter: self, pending: ids[common...], reused: common, deadlineNs: deadlineNs, now: now,
            constraint: JSONSchemaConstraint(schema: schema, trie: trie))
    }

    fileprivate func appended(_ tokens: some Collection<Int32>) { cached.append(contentsOf: tokens) }
    fileprivate func ended() { active = false }
}

public enum InterpreterError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case busy
    case commandTooLong(tokens: Int, budget: Int)
    case model(String)
    case unparsable(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): "interpreter: \(why)"
        case .busy: "interpreter: another command is being interpreted"
        case .commandTooLong(let tokens, let budget): "command prompt is \(tokens) tokens; the interpreter's context leaves room for \(budget)"
        case .model(let why): "interpreter model: \(why)"
        case .unparsable(let text): "interpreter output did not parse: \(text)"
        }
    }
}

/// One command's interpretation, as a sequence of short steps: prefill chunks
/// of the command's own tokens, then one decode step per token.
public final class InterpretationSession: @unchecked Sendable {
    public enum Outcome: Sendable, Equatable {
        case interpreted(InterpretedTask, text: String)
        /// The deadline passed before the output was complete.
        case timeout(partial: String)
        case cancelled
        case failed(String)
    }

    public enum Progress: Sendable, Equatable {
        case running
        case finished(Outcome)
    }

    private let interpreter: Interpreter
    private var pending: ArraySlice<Int32>
    public let reusedTokens: Int
    public let commandTokens: Int
    private let deadlineNs: UInt64
    private let now: @Sendable () -> UInt64
    private let constraint: JSONSchemaConstraint
    private var sampler = Sampler(.greedy)
    private var generated: [Int32] = []
    private var logits: [Float] = []
    private var outcome: Outcome?
    private let lock = NSLock()
    private var cancelRequested = false

    fileprivate init(interpreter: Interpreter, pending: ArraySlice<Int32>, reused: Int, deadlineNs: UInt64,
                     now: @escaping @Sendable () -> UInt64, constraint: JSONSchemaConstraint) {
        self.interpreter = interpreter
        self.pending = pending
        reusedTokens = reused
        commandTokens = pending.count
        self.deadlineNs = deadlineNs
        self.now = now
        self.constraint = constraint
    }

    /// Asks the session to stop at its next step (from any thread).
    public func cancel() { lock.withLock { cancelRequested = true } }

    /// Runs one prefill chunk or one decode step.
    public func step() -> Progress {
        if let outcome { return .finished(outcome) }
        if lock.withLock({ cancelRequested }) { return finish(.cancelled) }
        if now() > deadlineNs { return finish(.timeout(partial: text)) }
        let model = interpreter.model
        do {
            if !pending.isEmpty {
                let chunk = pending.prefix(interpreter.settings.prefillChunk)
                logits = try model.prefill(chunk.map { .token($0) })
                interpreter.appended(chunk)
                pending.removeFirst(chunk.count)
                return .running
            }
            let endTokens = interpreter.tokenizer.vocabulary.endOfGenerationIDs
            var masked = logits
            try constraint.mask(&masked, endTokens: endTokens)
            let next = sampler.sample(logits: masked)
            if endTokens.contains(next) { return finish(parse()) }
            try constraint.advance(next)
            generated.append(next)
            if constraint.isComplete { return finish(parse()) }
            if generated.count >= interpreter.settings.maxTokens {
                return finish(.failed("the output was not complete after \(generated.count) tokens: \(text)"))
            }
            logits = try model.decode(next)
            interpreter.appended([next])
            return .running
        } catch {
            return finish(.failed("\(error)"))
        }
    }

    public var text: String { interpreter.tokenizer.decode(generated) }

    private func parse() -> Outcome {
        let text = self.text
        do {
            let task = try JSONDecoder().decode(InterpretedTask.self, from: Data(text.utf8))
            return .interpreted(task, text: text)
        } catch {
            return .failed(InterpreterError.unparsable(text).description)
        }
    }

    private func finish(_ outcome: Outcome) -> Progress {
        if self.outcome == nil {
            self.outcome = outcome
            interpreter.ended()
        }
        return .finished(self.outcome!)
    }
}
