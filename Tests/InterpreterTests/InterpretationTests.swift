import Foundation
import Generation
import Interpreter
import LanguageModel
import Testing
import Tokenizers

/// Interpretation steps on a real decoder: the tiny random Qwen2 (always), and the real
/// Qwen2.5 GGUF (optimized builds, when `make models` has fetched it).
@Suite struct InterpretationTests {
    static let clock: @Sendable () -> UInt64 = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    static let farFuture = UInt64.max / 2

    static func tinyInterpreter(maxTokens: Int = 40, sampling: SamplingSettings = .greedy) throws -> Interpreter {
        let path = InterpreterFixtures.tinyQwen
        let model = try LanguageModel(huggingFace: path, tokenBudget: 4096, chunkSize: 64)
        let tokenizer = try LMTokenizer(tokenizerJSONPath: path + "/tokenizer.json")
        let prompt = try InterpreterPrompt.load(path: InterpreterFixtures.shippedPrompt)
        return try Interpreter(model: model, tokenizer: tokenizer, template: .chatML(defaultSystem: nil), prompt: prompt,
                               settings: .init(actions: InterpreterFixtures.actions, maxTokens: maxTokens, sampling: sampling))
    }

    static func run(_ session: InterpretationSession) -> (InterpretationSession.Outcome, steps: Int) {
        var steps = 0
        while true {
            steps += 1
            if case .finished(let outcome) = session.step() { return (outcome, steps) }
        }
    }

    /// Random weights say nothing about meaning, but whatever they write must be a task
    /// with an action from the vocabulary, or an honest failure when the token limit cuts it off.
    @Test func randomWeightsStillYieldAValidTaskOrSayWhy() throws {
        let interpreter = try Self.tinyInterpreter(maxTokens: 200)
        for command in ["pick up the red cube", "go to the blue ball", "put the ring on the cone"] {
            let session = try interpreter.session(command: command, visible: ["a red cube", "a blue ball"],
                                                  deadlineNs: Self.farFuture, now: Self.clock)
            let (outcome, steps) = Self.run(session)
            #expect(steps > 1)  // prefill and decode were separate steps
            switch outcome {
            case .interpreted(let task, let text):
                #expect(InterpreterFixtures.actions.contains(task.action))
                #expect(task.target.unicodeScalars.count <= TaskSchema.phraseMaxLength)
                #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil)
            case .failed(let why):
                #expect(why.contains("not complete after 200 tokens"))
            default:
                Issue.record("unexpected outcome \(outcome)")
            }
        }
    }

    /// The shared prefix is evaluated once: a second command reuses its keys and values and
    /// gives exactly what a fresh interpreter gives for that command.
    @Test func secondCommandReusesThePrefixAndMatchesAFreshRun() throws {
        let warm = try Self.tinyInterpreter()
        _ = Self.run(try warm.session(command: "look at the cone", visible: [], deadlineNs: Self.farFuture, now: Self.clock))
        let reused = try warm.session(command: "pick up the red cube", visible: ["a red cube"], deadlineNs: Self.farFuture, now: Self.clock)
        let fresh = try Self.tinyInterpreter().session(command: "pick up the red cube", visible: ["a red cube"],
                                                       deadlineNs: Self.farFuture, now: Self.clock)
        #expect(reused.reusedTokens > 100)
        #expect(reused.commandTokens < reused.reusedTokens / 4)
        #expect(reused.reusedTokens + reused.commandTokens == fresh.reusedTokens + fresh.commandTokens)
        let (a, _) = Self.run(reused)
        let b = Self.run(fresh).0
        #expect(a == b)
    }

    /// `interpreter_settings.temperature` and `.seed`: temperature 0 is greedy; above it a seed
    /// gives the same task every time (seeded afresh per command, whatever came before), and
    /// other seeds give other draws.
    @Test func samplingIsSeededPerCommand() throws {
        let commands = ["pick up the red cube", "go to the blue ball", "put the ring on the cone", "look at the yellow cone"]
        func outcomes(_ interpreter: Interpreter) throws -> [InterpretationSession.Outcome] {
            try commands.map {
                Self.run(try interpreter.session(command: $0, visible: ["a red cube"], deadlineNs: Self.farFuture, now: Self.clock)).0
            }
        }
        let greedy = try outcomes(Self.tinyInterpreter(maxTokens: 60))
        #expect(try outcomes(Self.tinyInterpreter(maxTokens: 60, sampling: .init(temperature: 0, seed: 9))) == greedy)
        let warm = try Self.tinyInterpreter(maxTokens: 60, sampling: .init(temperature: 1.5, seed: 7))
        let sampled = try outcomes(warm)
        #expect(sampled != greedy)
        #expect(try outcomes(warm) == sampled)  // again on the same interpreter: the seed restarts per command
        #expect(try outcomes(Self.tinyInterpreter(maxTokens: 60, sampling: .init(temperature: 1.5, seed: 7))) == sampled)
        #expect(try outcomes(Self.tinyInterpreter(maxTokens: 60, sampling: .init(temperature: 1.5, seed: 8))) != sampled)
    }

    @Test func badSamplingSettingsAreAConfigurationError() {
        #expect {
            try Self.tinyInterpreter(sampling: .init(temperature: -0.5))
        } throws: { error in
            guard case InterpreterError.invalidConfiguration(let why) = error else { return false }
            return why.contains("temperature")
        }
    }

    @Test func deadlineAlreadyPassedIsATimeout() throws {
        let interpreter = try Self.tinyInterpreter()
        let session = try interpreter.session(command: "pick up the red cube", visible: [], deadlineNs: 1, now: Self.clock)
        #expect(Self.run(session).0 == .timeout(partial: ""))
        // The interpreter is free again afterwards.
        _ = try interpreter.session(command: "stop", visible: [], deadlineNs: Self.farFuture, now: Self.clock)
    }

    @Test func cancelStopsAtTheNextStep() throws {
        let interpreter = try Self.tinyInterpreter()
        let session = try interpreter.session(command: "pick up the red cube", visible: [], deadlineNs: Self.farFuture, now: Self.clock)
        #expect(session.step() == .running)
        session.cancel()
        #expect(session.step() == .finished(.cancelled))
    }

    @Test func oneSessionAtATime() throws {
        let interpreter = try Self.tinyInterpreter()
        _ = try interpreter.session(command: "pick", visible: [], deadlineNs: Self.farFuture, now: Self.clock)
        #expect(throws: InterpreterError.busy) {
            try interpreter.session(command: "place", visible: [], deadlineNs: Self.farFuture, now: Self.clock)
        }
    }

    @Test func commandLongerThanTheContextIsRefused() throws {
        let interpreter = try Self.tinyInterpreter()
        let long = String(repeating: "pick up the red cube and ", count: 200)
        #expect {
            try interpreter.session(command: long, visible: [], deadlineNs: Self.farFuture, now: Self.clock)
        } throws: { error in
            guard case InterpreterError.commandTooLong = error else { return false }
            return true
        }
    }

    @Test(.enabled(if: InterpreterFixtures.qwenAvailable, "needs the Qwen2.5 GGUF (make models) and an optimized build"))
    func qwenInterpretsDemoCommands() throws {
        let path = InterpreterFixtures.qwenPath
        let model = try LanguageModel(gguf: path, tokenBudget: 2048, chunkSize: 64, threads: 2)
        let tokenizer = try LMTokenizer(ggufPath: path)
        let prompt = try InterpreterPrompt.load(path: InterpreterFixtures.shippedPrompt)
        let interpreter = try Interpreter(model: model, tokenizer: tokenizer, template: ChatTemplate.of(model: path).template,
                                          prompt: prompt, settings: .init(actions: InterpreterFixtures.actions))
        let visible = ["a red cube", "a blue ball", "a green cone", "a yellow ring"]
        let cases: [(String, String, String)] = [
            ("pick up the red cube", "pick", "a red cube"),
            ("go to the blue ball", "go_to", "a blue ball"),
            ("please look at the green cone", "look_at", "a green cone"),
        ]
        for (command, action, target) in cases {
            let session = try interpreter.session(command: command, visible: visible, deadlineNs: Self.farFuture, now: Self.clock)
            let (outcome, _) = Self.run(session)
            guard case .interpreted(let task, let text) = outcome else {
                Issue.record("\(command): \(outcome)")
                continue
            }
            print("[qwen interpreter] \(command) -> \(text) (reused \(session.reusedTokens), own \(session.commandTokens) tokens)")
            #expect(task.action == action, "\(command)")
            #expect(task.target == target, "\(command)")
        }
    }
}
