import ArgumentParser
import CLIP
import Foundation
import ThreadSupport
import Imaging
import Kernels

/// CLIP encoder latency and throughput on a checkpoint folder (usually full-size
/// ViT-B/32 with random weights; scripts/bench/clip_vs_torch.py runs this side
/// by side with PyTorch and reports the ratios).
struct CLIPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Time CLIP's image and text encoders: one image, a batch of 8, 16 prompts.")

    @Option(help: "A CLIP checkpoint folder (config.json + model.safetensors).")
    var model: String

    @Option(help: "Timed repetitions per measurement.")
    var iterations: Int = 10

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @OptionGroup var arithmetic: PrecisionOptions

    @Option(help: "Tokens per prompt (including start and end) for the text benchmark.")
    var promptTokens: Int = 12

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(iterations) else { throw ValidationError("--iterations must be 1...1000") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        guard (2...77).contains(promptTokens) else { throw ValidationError("--prompt-tokens must be 2...77") }
    }

    struct Report: Encodable {
        var precision: String
        var threads: Int
        var singleImageMs: Double
        var batch8Ms: Double
        var batch8ImagesPerSecond: Double
        var text16Ms: Double
        var gflopsSingleImage: Double
        /// OpenBLAS's own float32 GEMM on a large square product in the same run: the
        /// machine's float32 ceiling the single-image figure is compared with.
        var sgemmPeakGflops: Double

        enum CodingKeys: String, CodingKey {
            case precision, threads
            case singleImageMs = "single_image_ms"
            case batch8Ms = "batch8_ms"
            case batch8ImagesPerSecond = "batch8_images_per_s"
            case text16Ms = "text16_ms"
            case gflopsSingleImage = "single_image_gflops_per_s"
            case sgemmPeakGflops = "openblas_sgemm_peak_gflops_per_s"
        }
    }

    func run() async throws {
        let (path, iterations, threads, promptTokens, arithmetic) = (model, self.iterations, self.threads, self.promptTokens, self.arithmetic)
        let report = try await onDedicatedThread("sightline.bench.clip") { () throws -> Report in
            BLAS.setThreads(threads)
            let precision = arithmetic.apply(threads: threads)
            let clip: CLIPModel
            do throws(CLIPError) { clip = try CLIPModel(directory: path, precision: precision) } catch { throw CommandFailure(error.description) }
            let size = clip.configuration.vision.imageSize
            let images = try (0..<8).map { try SyntheticScene.make(width: size, height: size, seed: UInt64($0)) }
            let one = try clip.preprocess([images[0]])
            let eight = try clip.preprocess(images)
            var rng = SplitMix64(seed: 5)
            let vocab = clip.configuration.text.vocabSize
            let ids: [[Int32]] = (0..<16).map { _ in
                [Int32(vocab - 2)] + (0..<(promptTokens - 2)).map { _ in Int32(rng.next(upTo: vocab - 2)) } + [Int32(vocab - 1)]
            }
            func median(_ body: () throws -> Void) rethrows -> Double {
                for _ in 0..<3 { try body() }  // warm-up (and first touch of the mapped weights)
                var samples: [Double] = []
                for _ in 0..<iterations {
                    let start = DispatchTime.now().uptimeNanoseconds
                    try body()
                    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                return samples.sorted()[samples.count / 2]
            }
            let single = try median { _ = try clip.imageEmbeddings(pixels: one, images: 1) }
            let batch = try median { _ = try clip.imageEmbeddings(pixels: eight, images: 8) }
            let text = try median { _ = try clip.textEmbeddings(ids) }
            let v = clip.configuration.vision
            let tokens = Double(v.tokens), d = Double(v.hiddenSize), i = Double(v.intermediateSize)
            let macs = Double(v.numHiddenLayers) * tokens * (4 * d * d + 2 * d * i + 2 * tokens * d)
                + Double(v.tokens - 1) * 3 * Double(v.patchSize * v.patchSize) * d
            // The ceiling: a 1536³ sgemm (7.2 GFLOP, about 40 ms at the peak) on the same threads.
            let n = 1536
            let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
            var c = [Float](repeating: 0, count: n * n)
            let sgemm = median {
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer {
                            BLAS.gemmTransposedB(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, c: $0.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            return Report(
                precision: clip.precision.rawValue, threads: threads, singleImageMs: single, batch8Ms: batch, batch8ImagesPerSecond: 8000 / batch,
                text16Ms: text, gflopsSingleImage: 2 * macs / (single / 1000) / 1e9,
                sgemmPeakGflops: 2 * pow(Double(n), 3) / (sgemm / 1000) / 1e9)
        }
        if json {
            print(JSONLines.line(report))
        } else {
            print(String(format: "CLIP %@, %@, %d OpenBLAS threads (median of %d):", model, report.precision, threads, iterations))
            print(String(format: "  1 image        %8.2f ms  (%.1f GFLOP/s, %.0f%% of OpenBLAS's sgemm peak of %.1f GFLOP/s)",
                         report.singleImageMs, report.gflopsSingleImage, 100 * report.gflopsSingleImage / report.sgemmPeakGflops,
                         report.sgemmPeakGflops))
            print(String(format: "  8 images       %8.2f ms  (%.1f images/s)", report.batch8Ms, report.batch8ImagesPerSecond))
            print(String(format: "  16 prompts     %8.2f ms", report.text16Ms))
        }
    }
}
