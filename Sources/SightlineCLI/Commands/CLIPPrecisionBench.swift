import ArgumentParser
import CLIP
import Foundation
import ThreadSupport
import Imaging
import Kernels

/// The bf16 path against the fp32 default, in one process:
/// the same checkpoint loaded twice, timings alternating between the two so
/// machine noise hits both alike, and how far the embeddings move.
struct CLIPPrecisionBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip-precision",
        abstract: "Compare CLIP with fp32 (OpenBLAS) and bf16 (AVX512_BF16) Linear layers: latency and embedding drift.")

    @Option(help: "A CLIP checkpoint folder (config.json + model.safetensors).")
    var model: String

    @Option(help: "Timed repetitions per measurement (alternating fp32, bf16).")
    var iterations: Int = 15

    @Option(help: "OpenBLAS threads (the fp32 model's matrix products).")
    var threads: Int = 2

    @Option(help: "Threads of the bf16 kernel (default: the same as --threads).")
    var bf16Threads: Int?

    func validate() throws {
        guard (1...1000).contains(iterations) else { throw ValidationError("--iterations must be 1...1000") }
        guard (1...8).contains(threads), (1...8).contains(bf16Threads ?? threads) else { throw ValidationError("--threads and --bf16-threads must be 1...8") }
    }

    func run() async throws {
        let (path, iterations, threads, bf16Threads) = (model, self.iterations, self.threads, self.bf16Threads ?? self.threads)
        guard MatmulPrecision.bf16.effective == .bf16 else { throw CommandFailure("this CPU has no AVX512_BF16") }
        let lines = try await onDedicatedThread("sightline.bench.clip-precision") { () throws -> [String] in
            BLAS.setThreads(threads)
            Parallel.threads = bf16Threads
            var out: [String] = []
            let fp32: CLIPModel, bf16: CLIPModel
            let loadStart = DispatchTime.now().uptimeNanoseconds
            do throws(CLIPError) { fp32 = try CLIPModel(directory: path, precision: .fp32) } catch { throw CommandFailure(error.description) }
            let loadMid = DispatchTime.now().uptimeNanoseconds
            do throws(CLIPError) { bf16 = try CLIPModel(directory: path, precision: .bf16) } catch { throw CommandFailure(error.description) }
            let loadEnd = DispatchTime.now().uptimeNanoseconds
            out.append(String(format: "load: fp32 %.0f ms, bf16 (with packing) %.0f ms",
                              Double(loadMid - loadStart) / 1e6, Double(loadEnd - loadMid) / 1e6))
            let size = fp32.configuration.vision.imageSize
            let images = try (0..<8).map { try SyntheticScene.make(width: size, height: size, seed: UInt64(100 + $0)) }
            let one = try fp32.preprocess([images[0]])
            let eight = try fp32.preprocess(images)
            var rng = SplitMix64(seed: 7)
            let vocab = fp32.configuration.text.vocabSize
            let ids: [[Int32]] = (0..<16).map { _ in
                [Int32(vocab - 2)] + (0..<10).map { _ in Int32(rng.next(upTo: vocab - 2)) } + [Int32(vocab - 1)]
            }

            // Accuracy: the 8 images one at a time and as a batch, and 16 prompts.
            func compare(_ a: [[Float]], _ b: [[Float]]) -> (minCos: Double, meanCos: Double, maxAbs: Double) {
                var minCos = 1.0, sumCos = 0.0, maxAbs = 0.0
                for (x, y) in zip(a, b) {
                    var dot = 0.0, nx = 0.0, ny = 0.0
                    for (p, q) in zip(x, y) {
                        dot += Double(p) * Double(q); nx += Double(p) * Double(p); ny += Double(q) * Double(q)
                        maxAbs = max(maxAbs, abs(Double(p) - Double(q)))
                    }
                    let c = dot / (nx * ny).squareRoot()
                    minCos = min(minCos, c); sumCos += c
                }
                return (minCos, sumCos / Double(a.count), maxAbs)
            }
            do throws(CLIPError) {
                var singles32: [[Float]] = [], singles16: [[Float]] = []
                for i in 0..<8 {
                    let p = try fp32.preprocess([images[i]])
                    singles32 += try fp32.imageEmbeddings(pixels: p, images: 1)
                    singles16 += try bf16.imageEmbeddings(pixels: p, images: 1)
                }
                let s = compare(singles32, singles16)
                out.append(String(format: "image embeddings, 8 images one at a time: cosine min %.6f mean %.6f, max |diff| %.2e",
                                  s.minCos, s.meanCos, s.maxAbs))
                let b = compare(try fp32.imageEmbeddings(pixels: eight, images: 8), try bf16.imageEmbeddings(pixels: eight, images: 8))
                out.append(String(format: "image embeddings, batch of 8:             cosine min %.6f mean %.6f, max |diff| %.2e",
                                  b.minCos, b.meanCos, b.maxAbs))
                let t = compare(try fp32.textEmbeddings(ids), try bf16.textEmbeddings(ids))
                out.append(String(format: "text embeddings, 16 prompts:              cosine min %.6f mean %.6f, max |diff| %.2e",
                                  t.minCos, t.meanCos, t.maxAbs))
                // Does bf16 change which image each image is closest to (a retrieval sanity check)?
                let l32 = fp32.logits(images: singles32, texts: singles32), l16 = bf16.logits(images: singles16, texts: singles16)
                var worstLogit: Float = 0
                for i in 0..<8 { for j in 0..<8 { worstLogit = max(worstLogit, abs(l32[i][j] - l16[i][j])) } }
                out.append(String(format: "image-image logits (x exp(logit_scale)=%.1f): max |diff| %.3f", fp32.logitScale, worstLogit))
            } catch { throw CommandFailure(error.description) }

            // Latency, alternating.
            func time(_ body: () throws -> Void) rethrows -> Double {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }
            func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
            for _ in 0..<3 {
                _ = try fp32.imageEmbeddings(pixels: one, images: 1); _ = try bf16.imageEmbeddings(pixels: one, images: 1)
                _ = try fp32.imageEmbeddings(pixels: eight, images: 8); _ = try bf16.imageEmbeddings(pixels: eight, images: 8)
                _ = try fp32.textEmbeddings(ids); _ = try bf16.textEmbeddings(ids)
            }
            var s32: [Double] = [], s16: [Double] = [], b32: [Double] = [], b16: [Double] = [], t32: [Double] = [], t16: [Double] = []
            for i in 0..<iterations {
                // Alternate which goes first, too.
                if i % 2 == 0 {
                    s32.append(try time { _ = try fp32.imageEmbeddings(pixels: one, images: 1) })
                    s16.append(try time { _ = try bf16.imageEmbeddings(pixels: one, images: 1) })
                } else {
                    s16.append(try time { _ = try bf16.imageEmbeddings(pixels: one, images: 1) })
                    s32.append(try time { _ = try fp32.imageEmbeddings(pixels: one, images: 1) })
                }
            }
            for _ in 0..<max(3, iterations / 2) {
                b32.append(try time { _ = try fp32.imageEmbeddings(pixels: eight, images: 8) })
                b16.append(try time { _ = try bf16.imageEmbeddings(pixels: eight, images: 8) })
                t32.append(try time { _ = try fp32.textEmbeddings(ids) })
                t16.append(try time { _ = try bf16.textEmbeddings(ids) })
            }
            out.append(String(format: "latency with %d OpenBLAS threads, %d bf16 threads, median (fp32 / bf16 / speed-up):", threads, bf16Threads))
            out.append(String(format: "  1 image    %8.2f ms %8.2f ms  %.2fx   (%d alternating runs)", median(s32), median(s16), median(s32) / median(s16), iterations))
            out.append(String(format: "  8 images   %8.2f ms %8.2f ms  %.2fx   (%d)", median(b32), median(b16), median(b32) / median(b16), b32.count))
            out.append(String(format: "  16 prompts %8.2f ms %8.2f ms  %.2fx   (%d)", median(t32), median(t16), median(t32) / median(t16), t32.count))
            return out
        }
        for line in lines { print(line) }
    }
}
