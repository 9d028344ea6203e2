public import Generation
public import Imaging
public import LanguageModel
import Foundation
public import LLaVA
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
        /// How each token is drawn (the launch file's `interpreter_settings.temperature` and
        /// `.seed`): greedy at temperature 0; above it, drawn with a generator seeded afresh for
        /// every command, so the same command, scene and seed give the same task.
        public var sampling: SamplingSettings

        public init(actions: [String], maxTokens: Int = 64, visibleLabels: Int = 6, prefillChunk: Int = 16,
                    sampling: SamplingSettings = .greedy) {
            self.actions = actions
            self.maxTokens = maxTokens
            self.visibleLabels = visibleLabels
            self.prefillChunk = prefillChunk
            self.sampling = sampling
        }
    }

    /// A LLaVA image encoder: with it, each command's prompt carries the frame's image rows.
    public struct Vision: Sendable {
        public var encoder: LLaVAImageEncoder
        public var reduction: ImageTokenReduction

        public init(encoder: LLaVAImageEncoder, reduction: ImageTokenReduction = .none) {
            self.encoder = encoder
            self.reduction = reduction
        }
    }

    public let model: LanguageModel
    public let tokenizer: LMTokenizer
    public let vision: Vision?
    public let template: ChatTemplate
    public let prompt: InterpreterPrompt
    public let settings: Settings
    public let schema: JSONSchema
    private let trie: TokenTrie
    fileprivate let verbs: ActionVerbs
    /// Actions the prompt's examples give a destination (place, push): a command with one of
    /// them that names a place gets it as the destination when the model left it out.
    fileprivate let destinationActions: Set<String>
    /// The inputs (tokens, image rows) whose keys and values the model's cache holds, in order.
    private var cached: [LanguageModelInput] = []
    private var active = false

    public init(model: LanguageModel, tokenizer: LMTokenizer, template: ChatTemplate,
                prompt: InterpreterPrompt, settings: Settings, vision: Vision? = nil) throws {
        guard !settings.actions.isEmpty else { throw InterpreterError.invalidConfiguration("the action vocabulary is empty") }
        guard settings.maxTokens > 0 else { throw InterpreterError.invalidConfiguration("max tokens must be positive") }
        guard settings.prefillChunk > 0 else { throw InterpreterError.invalidConfiguration("the prefill chunk must be positive") }
        if let problem = settings.sampling.validate() { throw InterpreterError.invalidConfiguration(problem) }
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.prompt = prompt
        self.settings = settings
        self.vision = vision
        if let vision { try vision.encoder.checkCompatible(with: model.configuration) }
        schema = try JSONSchema(json: TaskSchema.json(actions: settings.actions))
        verbs = ActionVerbs(prompt.verbs, actions: settings.actions)
        destinationActions = Set(prompt.examples.filter { $0.task.destination != nil }.map(\.task.action))
        trie = TokenTrie.shared(for: tokenizer)
        // Evaluate the shared prefix now, not on the first command's deadline.
        let prefix = tokenizer.encode(template.render(prompt.messages), addSpecial: true, parseSpecial: true)
        model.reset()
        let inputs = prefix.map { LanguageModelInput.token($0) }
        _ = try model.prefill(inputs)
        cached = inputs
    }

    /// The rendered prompt of one command (exposed for tests and logs); with an image, the user
    /// turn starts with the image marker where its rows go.
    public func promptText(command: String, visible: [String], withImage: Bool = false) -> String {
        let turn = InterpreterPrompt.userTurn(command: command, visible: Array(visible.prefix(settings.visibleLabels)))
        return template.render(prompt.messages + [.user(withImage ? ImagePrompt.marker + "\n" + turn : turn)])
    }

    /// Starts interpreting `command`, with the camera frame when a vision encoder is configured;
    /// drive the session with `step()` until it finishes. Encoding the image is the session's
    /// first steps (one per vision-tower block, then the projector), so it runs where the
    /// steps run (the compute executor), not here, and frame jobs can run between them.
    public func session(command: String, visible: [String], image: RGBImage? = nil, deadlineNs: UInt64,
                        now: @escaping @Sendable () -> UInt64) throws -> InterpretationSession {
        guard !active else { throw InterpreterError.busy }
        let constraint = JSONSchemaConstraint(schema: schema, trie: trie)
        if let image, let vision {
            active = true
            return InterpretationSession(
                interpreter: self, command: command,
                image: (promptText(command: command, visible: visible, withImage: true), image, vision),
                deadlineNs: deadlineNs, now: now, constraint: constraint)
        }
        let ids = tokenizer.encode(promptText(command: command, visible: visible), addSpecial: true, parseSpecial: true)
        let (pending, reused) = try continueFromCache(ids.map { .token($0) })
        let iterator = try tokens(after: pending, constraint: constraint)
        active = true
        return InterpretationSession(
            interpreter: self, command: command, prompt: pending, iterator: iterator, reused: reused, deadlineNs: deadlineNs, now: now,
            constraint: constraint)
    }

    /// Keeps the longest cached prefix of `inputs` (at least one input is left to run, so the
    /// logits are fresh) and returns what remains to prefill.
    fileprivate func continueFromCache(_ inputs: [LanguageModelInput]) throws -> (ArraySlice<LanguageModelInput>, Int) {
        guard inputs.count + settings.maxTokens <= model.tokenBudget else {
            throw InterpreterError.commandTooLong(tokens: inputs.count, budget: model.tokenBudget - settings.maxTokens)
        }
        var common = 0
        while common < min(inputs.count, cached.count) - 1 && inputs[common] == cached[common] { common += 1 }
        try model.rewind(to: common)
        cached.removeSubrange(common...)
        return (inputs[common...], common)
    }

    /// The decode loop of one command, after the cached prefix.
    fileprivate func tokens(after pending: ArraySlice<LanguageModelInput>, constraint: JSONSchemaConstraint) throws -> TokenIterator {
        try TokenIterator(
            model: model, prompt: pending,
            context: cached.compactMap { if case .token(let id) = $0 { id } else { nil } },
            options: .init(maxTokens: settings.maxTokens, sampling: settings.sampling,
                           stopTokens: tokenizer.vocabulary.endOfGenerationIDs, prefillChunk: settings.prefillChunk),
            constraint: constraint)
    }

    /// The prompt with the image's rows spliced in at the marker.
    fileprivate func imageInputs(_ text: String, _ embedding: ImageEmbedding) throws -> [LanguageModelInput] {
        try ImagePrompt(text: text, image: embedding, tokenizer: tokenizer).inputs
    }

    fileprivate func appended(_ inputs: some Collection<LanguageModelInput>) { cached.append(contentsOf: inputs) }
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

/// One command's interpretation, as a sequence of short steps: the image's (if any), then
/// the steps of a `TokenIterator` (the decode loop `Generator` runs too): prefill chunks of the
/// command's own tokens, then one decode step per token under the task schema's mask.
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
    private let command: String
    /// The decode loop, once the prompt's inputs are known (after the image, if any).
    private var iterator: TokenIterator?
    /// The inputs the iterator runs: the command's own prompt inputs, then generated tokens.
    private var prompt: ArraySlice<LanguageModelInput> = []
    /// How many of the iterator's evaluated inputs the interpreter's cache record holds.
    private var recorded = 0
    /// Cached prompt positions this command continued from (the shared prefix).
    public private(set) var reusedTokens: Int
    /// Prompt positions this command ran itself (its own tokens, and image rows if any).
    public private(set) var commandTokens: Int
    /// Set until the first step starts embedding the image.
    private var image: (text: String, image: RGBImage, vision: Interpreter.Vision)?
    /// The image being embedded (a vision-tower block per step) and the prompt text around it.
    private var imagePass: (text: String, pass: ImagePass)?
    private let deadlineNs: UInt64
    private let now: @Sendable () -> UInt64
    private let constraint: JSONSchemaConstraint
    private var outcome: Outcome?
    private let lock = NSLock()
    private var cancelRequested = false

    fileprivate init(interpreter: Interpreter, command: String, image: (String, RGBImage, Interpreter.Vision),
                     deadlineNs: UInt64, now: @escaping @Sendable () -> UInt64, constraint: JSONSchemaConstraint) {
        self.interpreter = interpreter
        self.command = command
        reusedTokens = 0
        commandTokens = 0
        self.image = image
        self.deadlineNs = deadlineNs
        self.now = now
        self.constraint = constraint
    }

    fileprivate init(interpreter: Interpreter, command: String, prompt: ArraySlice<LanguageModelInput>, iterator: TokenIterator,
                     reused: Int, deadlineNs: UInt64, now: @escaping @Sendable () -> UInt64, constraint: JSONSchemaConstraint) {
        self.interpreter = interpreter
        self.command = command
        self.iterator = iterator
        self.prompt = prompt
        reusedTokens = reused
        commandTokens = prompt.count
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
        do {
            if let (text, picture, vision) = image {
                // Preprocessing and the tower's embeddings; then a block per step.
                image = nil
                let pass = try vision.encoder.pass(picture, reduction: vision.reduction)
                pass.step()
                imagePass = (text, pass)
                return .running
            }
            if let (text, pass) = imagePass {
                if !pass.isFinished {
                    pass.step()
                    return .running
                }
                // The projector, then the prompt around the image rows.
                imagePass = nil
                let inputs = try interpreter.imageInputs(text, pass.embedding())
                let (pending, reused) = try interpreter.continueFromCache(inputs)
                iterator = try interpreter.tokens(after: pending, constraint: constraint)
                prompt = pending
                reusedTokens = reused
                commandTokens = pending.count
                return .running
            }
            guard let iterator else { return finish(.failed("the session has no prompt")) }
            _ = try iterator.next()
            record(iterator)
            switch iterator.stopReason {
            case nil: return .running
            case .endOfGeneration, .constraintComplete: return finish(parse())
            case .maxTokens: return finish(.failed("the output was not complete after \(generated.count) tokens: \(text)"))
            case .contextFull: return finish(.failed("the context filled up after \(generated.count) tokens: \(text)"))
            case let reason?: return finish(.failed("generation ended: \(reason)"))
            }
        } catch {
            return finish(.failed("\(error)"))
        }
    }

    /// Tells the interpreter which inputs the model's cache now holds.
    private func record(_ iterator: TokenIterator) {
        let promptRun = min(iterator.evaluated, prompt.count)
        if recorded < promptRun {
            interpreter.appended(prompt.dropFirst(recorded).prefix(promptRun - recorded))
            recorded = promptRun
        }
        if recorded < iterator.evaluated {
            interpreter.appended(iterator.tokens[(recorded - prompt.count)..<(iterator.evaluated - prompt.count)].map { .token($0) })
            recorded = iterator.evaluated
        }
    }

    /// The generated tokens without an end-of-generation token.
    private var generated: ArraySlice<Int32> {
        guard let iterator else { return [] }
        if case .endOfGeneration = iterator.stopReason { return iterator.tokens.dropLast() }
        return iterator.tokens[...]
    }

    public var text: String { interpreter.tokenizer.decode(Array(generated)) }

    private func parse() -> Outcome {
        let text = self.text
        do {
            var task = try JSONDecoder().decode(InterpretedTask.self, from: Data(text.utf8))
            // The operator's verb, when it names an action outright, wins over the model's pick.
            if let action = interpreter.verbs.action(for: command) { task.action = action }
            task = Self.placeNamed(in: command, completing: task, destinationActions: interpreter.destinationActions)
            return .interpreted(task, text: text)
        } catch {
            return .failed(InterpreterError.unparsable(text).description)
        }
    }

    /// `task` with the place the command names ("toward the green cone": the last object after
    /// a preposition of place) as its destination, when the model left it out, the action takes
    /// one, and that object is not the target itself. `PhraseResolver` then turns it into a label.
    static func placeNamed(in command: String, completing task: InterpretedTask, destinationActions: Set<String>) -> InterpretedTask {
        guard task.destination == nil, destinationActions.contains(task.action),
              let place = ObjectMention.find(in: command).last(where: \.isPlace),
              !ObjectDescriptor(phrase: task.target).fits(place.descriptor) else { return task }
        var completed = task
        completed.destination = PhraseResolver.withArticle(place.words)
        return completed
    }

    private func finish(_ outcome: Outcome) -> Progress {
        if self.outcome == nil {
            self.outcome = outcome
            interpreter.ended()
        }
        return .finished(self.outcome!)
    }
}
