import ArgumentParser
import Foundation
import ThreadSupport
import Generation
import Kernels
import LanguageModel
import Tokenizers

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a LLaMA/Qwen2 language model.",
        discussion: """
            The model is a llama.cpp GGUF file or a Hugging Face checkpoint folder (config.json, \
            safetensors, tokenizer.json). With --chat the prompt is a user turn in the model's chat \
            template (ChatML, LLaMA-2 or Vicuna, recognised from the template it ships; ChatML otherwise). \
            Generation stops at the model's end-of-generation tokens or after --max-tokens. Temperature 0 \
            (the default) is greedy; above 0 tokens are drawn with a seeded generator, so --seed reproduces \
            a run. Text streams to stdout; --json prints one object at the end instead.
            """)

    @Option(help: "GGUF file or Hugging Face checkpoint folder.")
    var model: String

    @Option(help: "The prompt text (the user message with --chat).")
    var prompt: String

    @Option(help: "System prompt (with --chat).")
    var system: String?

    @Flag(help: "Wrap the prompt in the model's chat template.")
    var chat = false

    @Option(help: "Most tokens to generate.")
    var maxTokens: Int = 256

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(help: "Seed of the sampler's random generator.")
    var seed: UInt64 = 0

    @Flag(help: "Print {\"text\", \"tokens\", \"prompt_tokens\", \"timings\"} as one JSON object.")
    var json = false

    @Option(help: "Write the next-token logits after the prompt to this file (little-endian float32).")
    var dumpLogits: String?

    @Option(help: "Threads for the matrix products.")
    var threads: Int = 2

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be >= 0") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt is empty") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
    }

    struct Output: Encodable {
        struct Timings: Encodable {
            var prefillMs: Double
            var decodeMs: Double
            var tokensPerS: Double
            enum CodingKeys: String, CodingKey { case prefillMs = "prefill_ms", decodeMs = "decode_ms", tokensPerS = "tokens_per_s" }
        }
        var text: String
        var tokens: [Int32]
        var promptTokens: Int
        var timings: Timings
        enum CodingKeys: String, CodingKey { case text, tokens, promptTokens = "prompt_tokens", timings }
    }

    func run() async throws {
        let command = self
        let result = try await onDedicatedThread("sightline.generate") { try command.generate() }
        if json {
            let t = result.timings
            print(JSONLines.line(Output(
                text: result.text, tokens: result.tokens, promptTokens: result.promptTokens,
                timings: .init(prefillMs: t.prefillMs, decodeMs: t.decodeMs, tokensPerS: t.tokensPerSecond))))
        }
    }

    private func generate() throws -> GenerationResult {
        BLAS.setThreads(threads)
        let files = try LanguageModelFiles(model)
        let context = try files.contextLength()
        let tokenizer = try files.tokenizer()
        var text = prompt
        if chat {
            let (template, recognised) = ChatTemplate.of(model: model)
            if !recognised { printError("sightline: warning: no recognised chat template in \(model); using ChatML") }
            text = template.render(prompt: prompt, system: system)
        }
        let ids = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        guard !ids.isEmpty else { throw CommandFailure("the prompt encodes to no tokens") }
        if context > 0 && ids.count >= context {
            throw CommandFailure("the prompt has \(ids.count) tokens but the model's context is \(context) tokens")
        }
        var budget = ids.count + maxTokens
        if context > 0 { budget = min(budget, context) }
        let lm = try files.model(tokenBudget: budget, threads: threads)
        if lm.configuration.vocabSize < tokenizer.vocabularySize {
            throw CommandFailure("the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(lm.configuration.vocabSize)")
        }
        let generator = Generator(model: lm, tokenizer: tokenizer)
        let options = Generator.Options(
            maxTokens: maxTokens, sampling: SamplingSettings(temperature: temperature, seed: seed),
            keepPromptLogits: dumpLogits != nil)
        let stream = !json
        let interrupted = InterruptFlag()
        let watcher = InterruptWatcher { interrupted.set() }
        defer { withExtendedLifetime(watcher) {} }
        let result: GenerationResult
        do {
            result = try generator.generate(prompt: ids, options: options, isCancelled: { interrupted.isSet }) { piece in
                if stream && !piece.isEmpty {
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
            }
        } catch {
            throw CommandFailure(error.description)
        }
        if stream { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if let dumpLogits, let logits = result.promptLogits {
            let bytes = logits.withUnsafeBufferPointer { buffer in
                Data(buffer.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } })
            }
            guard FileManager.default.createFile(atPath: dumpLogits, contents: bytes) else {
                throw CommandFailure("cannot write \(dumpLogits)")
            }
        }
        return result
    }
}

/// Set from the signal handler, read between tokens.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
