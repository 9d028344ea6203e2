import ArgumentParser
import Foundation
import ThreadSupport
import Generation
import Kernels
import LLaVA
import LanguageModel
import ModelLoading
import StructuredOutput
import Tokenizers

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a LLaMA/Qwen2 language model, or LLaVA with an image.",
        discussion: """
            The model is a llama.cpp GGUF file or a Hugging Face checkpoint folder (config.json, \
            safetensors, tokenizer.json). With --chat the prompt is a user turn in the model's chat \
            template (ChatML, LLaMA-2 or Vicuna, recognised from the template it ships; ChatML otherwise). \
            Generation stops at the model's end-of-generation tokens or after --max-tokens. Temperature 0 \
            (the default) is greedy; above 0 tokens are drawn with a seeded generator, so --seed reproduces \
            a run. Text streams to stdout; --json prints one object at the end instead. With --schema FILE \
            (a JSON Schema subset: object properties/required, enum, const, string min/maxLength, integer \
            bounds, number, boolean, null, array items/minItems/maxItems, anyOf) the output is compact JSON \
            that validates against it, and generation stops when the value is complete.

            With --image the model is LLaVA: a llama.cpp language-model GGUF with its --mmproj image \
            encoder, or a Hugging Face LlavaForConditionalGeneration folder as --model alone. The image's \
            rows take the place of <image> in the prompt (put in front of the prompt when it has none). \
            --image-pooling N averages the image's patch grid in NxN windows (24x24 -> 12x12 with 2), \
            N² times fewer image rows to prefill, at some cost in fidelity.
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

    @Option(help: "Constrain the output to JSON valid against this JSON Schema file (a subset; others are refused).")
    var schema: String?

    @Flag(help: "Print {\"text\", \"tokens\", \"prompt_tokens\", \"timings\"} as one JSON object.")
    var json = false

    @Option(help: "Write the next-token logits after the prompt to this file (little-endian float32).")
    var dumpLogits: String?

    @Option(help: "Threads for the matrix products.")
    var threads: Int = 2

    @Option(help: "llama.cpp image-encoder GGUF (mmproj) for --image with a language-model GGUF.")
    var mmproj: String?

    @Option(help: "Image (JPEG or PNG) for a LLaVA model.")
    var image: String?

    @Option(help: "Average-pool the image's patch grid in NxN windows before the language model (1 = off).")
    var imagePooling: Int = 1

    @OptionGroup var vision: PrecisionOptions

    func validate() throws {
        // The token budget (prompt + max tokens) sizes the KV cache.
        guard (1...32_768).contains(maxTokens) else { throw ValidationError("--max-tokens must be 1...32768, got \(maxTokens)") }
        guard temperature >= 0, temperature <= 100 else { throw ValidationError("--temperature must be 0...100, got \(temperature)") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt is empty") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
        guard (1...64).contains(imagePooling) else { throw ValidationError("--image-pooling must be 1...64") }
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
        let jsonSchema = try schema.map(Self.loadSchema)
        let files = try LanguageModelFiles(model)
        let llava = try VisionLanguageSetup.open(model: model, mmproj: mmproj, precision: vision.apply(threads: threads), poolFactor: imagePooling)
        if image != nil && llava == nil {
            throw CommandFailure("--image needs a vision model: give --mmproj FILE with a language-model GGUF, or a Hugging Face LLaVA folder as --model")
        }
        try llava?.checkLanguageModel(files)
        let context = llava != nil && files.isDirectory ? VisionLanguageSetup.contextLength(ofFolder: model) : try files.contextLength()
        let tokenizer = try files.tokenizer()
        var text = prompt
        if image != nil && !text.contains(ImagePrompt.marker) { text = ImagePrompt.marker + "\n" + text }
        if chat {
            var (template, recognised) = ChatTemplate.of(model: model)
            // llama.cpp's LLaVA-1.5 GGUFs carry no template; LLaVA-1.5 was trained on Vicuna's.
            if !recognised && llava != nil { template = .vicuna }
            if !recognised {
                printError("sightline: warning: no recognised chat template in \(model); using \(llava == nil ? "ChatML" : "Vicuna (LLaVA-1.5)")")
            }
            text = template.render(prompt: text, system: system)
        }
        let input: [LanguageModelInput]
        if let llava {
            let embedding = try image.map { try llava.embedImage(at: $0) }
            input = try VisionLanguageSetup.prompt(text, image: embedding, tokenizer: tokenizer).inputs
        } else {
            input = tokenizer.encode(text, addSpecial: true, parseSpecial: true).map { .token($0) }
        }
        guard !input.isEmpty else { throw CommandFailure("the prompt encodes to no tokens") }
        if context > 0 && input.count >= context {
            throw CommandFailure("the prompt has \(input.count) positions but the model's context is \(context) tokens")
        }
        var budget = input.count + maxTokens
        if context > 0 { budget = min(budget, context) }
        let lm = try llava?.languageModel(files, tokenBudget: budget, threads: threads)
            ?? files.model(tokenBudget: budget, threads: threads)
        if lm.configuration.vocabSize < tokenizer.vocabularySize {
            throw CommandFailure("the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(lm.configuration.vocabSize)")
        }
        let generator = Generator(model: lm, tokenizer: tokenizer)
        let options = Generator.Options(
            maxTokens: maxTokens, sampling: SamplingSettings(temperature: temperature, seed: seed),
            keepPromptLogits: dumpLogits != nil)
        let constraint = jsonSchema.map { JSONSchemaConstraint(schema: $0, tokenizer: tokenizer) }
        let stream = !json
        let interrupted = InterruptFlag()
        let watcher = InterruptWatcher { interrupted.set() }
        defer { withExtendedLifetime(watcher) {} }
        let result: GenerationResult
        do {
            result = try generator.generate(
                input: input, options: options, constraint: constraint, isCancelled: { interrupted.isSet }
            ) { piece in
                if stream && !piece.isEmpty {
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
            }
        } catch {
            throw CommandFailure(error.description)
        }
        if stream { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if let constraint, !constraint.isAccepting {
            printError("sightline: warning: generation stopped (\(result.stopReason)) before the JSON value was complete; raise --max-tokens")
        }
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

    /// The compiled schema, or a one-line error naming the file and what is wrong in it.
    private static func loadSchema(_ path: String) throws -> JSONSchema {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("--schema: cannot read \(path)") }
        do {
            return try JSONSchema(json: Array(data))
        } catch {
            throw CommandFailure("--schema \(path): \(error.description)")
        }
    }
}

/// Set from the signal handler, read between tokens.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
