import ThreadSupport
import ArgumentParser
import CLIP
import Foundation
import Imaging
import Kernels
import LLaVA
import LanguageModel
import Tokenizers

/// LLaVA's two costs per command: the image (vision tower up to the feature layer + projector)
/// and the language model's prefill of the image rows with the prompt, at several image-token
/// poolings. scripts/bench/llava_vs_torch.py runs the image part side by side with PyTorch.
struct LLaVABench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llava",
        abstract: "Time LLaVA's image encoder and the prefill of its image rows (576, 144, 36, ...).")

    @Option(help: "A Hugging Face LLaVA folder (its vision side is timed); or give --mmproj.")
    var model: String?

    @Option(help: "llama.cpp image-encoder GGUF (mmproj).")
    var mmproj: String?

    @Option(help: "Language-model GGUF whose prefill is timed with the image rows spliced in.")
    var languageModel: String?

    @Option(parsing: .upToNextOption, help: "Image-token pooling factors to time the prefill with.")
    var pooling: [Int] = [1, 2, 4]

    @Option(help: "Timed repetitions of the image encoder.")
    var iterations: Int = 5

    @Option(help: "Timed repetitions of each prefill.")
    var prefillIterations: Int = 3

    @Option(help: "OpenBLAS and quantized-kernel threads.")
    var threads: Int = 2

    @OptionGroup var arithmetic: PrecisionOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (model == nil) != (mmproj == nil) else { throw ValidationError("give either --model (an HF LLaVA folder) or --mmproj") }
        guard (1...1000).contains(iterations), (1...1000).contains(prefillIterations) else {
            throw ValidationError("--iterations and --prefill-iterations must be 1...1000")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        guard !pooling.isEmpty, pooling.allSatisfy({ (1...64).contains($0) }) else { throw ValidationError("--pooling factors must be 1...64") }
    }

    struct Prefill: Encodable {
        var pool: Int
        var imageRows: Int
        var promptPositions: Int
        var prefillMs: Double
        enum CodingKeys: String, CodingKey {
            case pool, imageRows = "image_rows", promptPositions = "prompt_positions", prefillMs = "prefill_ms"
        }
    }

    struct Report: Encodable {
        var precision: String
        var threads: Int
        var imageRows: Int
        var imageMs: Double
        var prefill: [Prefill]
        enum CodingKeys: String, CodingKey {
            case precision, threads, imageRows = "image_rows", imageMs = "image_ms", prefill
        }
    }

    func run() async throws {
        let command = self
        let report = try await onDedicatedThread("sightline.bench.llava") { try command.measure() }
        if json {
            print(JSONLines.line(report))
            return
        }
        print(String(format: "LLaVA image encoder, %@, %d threads: %.1f ms per image (%d rows, median of %d)",
                     report.precision, threads, report.imageMs, report.imageRows, iterations))
        for p in report.prefill {
            print(String(format: "  pool %d: %4d image rows, %4d positions, prefill %8.1f ms", p.pool, p.imageRows, p.promptPositions, p.prefillMs))
        }
    }

    private func median(_ count: Int, _ body: () throws -> Void) rethrows -> Double {
        try body()  // warm-up: first touch of the mapped weights, workspace growth
        var samples: [Double] = []
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return samples.sorted()[samples.count / 2]
    }

    private func measure() throws -> Report {
        BLAS.setThreads(threads)
        let precision = arithmetic.apply(threads: threads)
        let encoder: LLaVAImageEncoder
        do {
            encoder = try mmproj.map { try LLaVALoader.mmproj(path: $0, precision: precision) }
                ?? LLaVALoader.huggingFace(directory: model ?? "", precision: precision).imageEncoder
        } catch let error as LLaVAError {
            throw CommandFailure(error.description)
        }
        let size = encoder.configuration.vision.imageSize
        let picture = try SyntheticScene.make(width: size * 4 / 3, height: size, seed: 1)
        var pixels = [Float](repeating: 0, count: encoder.tower.pixelsPerImage)
        try pixels.withUnsafeMutableBufferPointer { try encoder.preprocessor.process(picture, into: $0.baseAddress!) }
        let imageMs = try median(iterations) { _ = try encoder.embed(pixels: pixels) }

        var prefills: [Prefill] = []
        if let languageModel {
            let tokenizer: LMTokenizer
            do { tokenizer = try LMTokenizer(ggufPath: languageModel) } catch { throw CommandFailure(error.description) }
            let rows = encoder.imageRows()
            let lm: LanguageModel
            do { lm = try LanguageModel(gguf: languageModel, tokenBudget: rows + 128, threads: threads) } catch { throw CommandFailure(error.description) }
            do { try encoder.checkCompatible(with: lm.configuration) } catch { throw CommandFailure(error.description) }
            let text = "<|im_start|>user\n<image>\nPick up the red cup next to the laptop.<|im_end|>\n<|im_start|>assistant\n"
            for factor in pooling {
                let image = try encoder.embed(pixels: pixels, reduction: try ImageTokenReduction(factor: factor))
                let prompt = try ImagePrompt(text: text, image: image, tokenizer: tokenizer)
                let ms = try median(prefillIterations) {
                    lm.reset()
                    _ = try lm.prefill(prompt.inputs)
                }
                prefills.append(Prefill(pool: factor, imageRows: image.rows, promptPositions: prompt.inputs.count, prefillMs: ms))
            }
        }
        return Report(precision: precision.rawValue, threads: threads, imageRows: encoder.imageRows(), imageMs: imageMs, prefill: prefills)
    }
}
