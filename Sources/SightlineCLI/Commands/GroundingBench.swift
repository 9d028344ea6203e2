import ThreadSupport
import ArgumentParser
import CLIP
import Foundation
import Grounding
import Imaging
import Kernels

/// Per-frame grounding latency over a recording, and, when the recording has a
/// truth.jsonl (as Recordings/demo does), how often the answers match it.
struct GroundingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grounding",
        abstract: "Time grounding a phrase on every frame of a recording (JPEG decode excluded); score it against truth.jsonl if present.")

    @Option(help: "CLIP checkpoint folder (with vocabulary.txt for the distractors).")
    var model: String = "Models/demo-clip"

    @Option(help: "A recording folder (frames.jsonl + JPEG frames).")
    var recording: String = "Recordings/demo"

    @Option(help: "The phrase to ground; repeat for several.")
    var text: [String] = ["a red cube", "a blue ball"]

    @Option(help: "JPEG decode scale: 1, 1/2, 1/4 (boxes are scored back in full-frame pixels).")
    var scale: String = "1/2"

    @Flag(help: "Feed each answer's box back as the next frame's prior (tracking).")
    var track = false

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @OptionGroup var arithmetic: PrecisionOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        guard JPEGScale(argument: scale) != nil else { throw ValidationError("--scale must be 1, 1/2, 1/4 or 1/8; got '\(scale)'") }
        guard !text.isEmpty, text.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw ValidationError("--text must not be empty")
        }
    }

    struct Report: Encodable {
        var frames: Int
        var windows: Int
        var p50Ms: Double
        var p99Ms: Double
        var maxMs: Double
        /// Per phrase: frames where it is in view and grounded with IoU >= 0.5, of frames where it is in view.
        var hitRate: [String: Double]
        /// Per phrase: frames where it is out of view yet got a box, of frames where it is out of view.
        var falseBoxRate: [String: Double]

        enum CodingKeys: String, CodingKey {
            case frames, windows, p50Ms = "p50_ms", p99Ms = "p99_ms", maxMs = "max_ms"
            case hitRate = "hit_rate", falseBoxRate = "false_box_rate"
        }
    }

    struct TruthLine: Decodable {
        struct Object: Decodable { var phrase: String; var box: [Float]; var visible: Float? }
        var file: String
        var objects: [Object]
    }

    func run() async throws {
        let (modelPath, recording, phrases, scale, track, threads, arithmetic) = (model, self.recording, text, JPEGScale(argument: self.scale)!, self.track, self.threads, self.arithmetic)
        let report = try await onDedicatedThread("sightline.bench.grounding") { () throws -> Report in
            BLAS.setThreads(threads)
            let precision = arithmetic.apply(threads: threads)
            let index = recording + "/frames.jsonl"
            guard let listing = try? String(contentsOfFile: index, encoding: .utf8) else { throw CommandFailure("cannot read \(index)") }
            let files = listing.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["file"] as? String
            }
            var truth: [String: TruthLine] = [:]
            if let text = try? String(contentsOfFile: recording + "/truth.jsonl", encoding: .utf8) {
                for line in text.split(whereSeparator: \.isNewline) {
                    if let parsed = try? JSONDecoder().decode(TruthLine.self, from: Data(line.utf8)) { truth[parsed.file] = parsed }
                }
            }
            let vocabulary = (try? String(contentsOfFile: modelPath + "/vocabulary.txt", encoding: .utf8))?
                .split(whereSeparator: \.isNewline).map(String.init) ?? []
            let grounder: Grounder
            let decoder: JPEGDecoder
            do {
                let clip = try CLIPModel(directory: modelPath, precision: precision)
                grounder = try Grounder(model: clip, tokenizer: try clip.loadTokenizer(), vocabulary: vocabulary)
                decoder = try JPEGDecoder()
            } catch { throw CommandFailure("\(error)") }
            var latencies: [Double] = []
            var windows = 0
            var hits: [String: (Int, Int)] = [:], falseBoxes: [String: (Int, Int)] = [:]
            var priors: [String: GroundingBox] = [:]
            let factor = Float(scale.denominator)
            for file in files {
                guard let bytes = FileManager.default.contents(atPath: recording + "/" + file) else { throw CommandFailure("cannot read \(file)") }
                let frame: RGBImage
                do { frame = try decoder.decode([UInt8](bytes), scale: scale) } catch { throw CommandFailure("\(file): \(error)") }
                for phrase in phrases {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let prior = track ? priors[phrase] : nil
                    let result: GroundingResult
                    do { result = try grounder.ground(phrase, in: frame, prior: prior) } catch { throw CommandFailure("\(error)") }
                    latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                    windows = result.windowCount
                    priors[phrase] = result.status == .grounded ? result.box : nil
                    guard let line = truth[file] else { continue }
                    let box = result.box.map { GroundingBox(x0: $0.x0 * factor, y0: $0.y0 * factor, x1: $0.x1 * factor, y1: $0.y1 * factor) }
                    if let object = line.objects.first(where: { $0.phrase == phrase }), object.box.count == 4 {
                        // Only objects mostly in view are expected to be found.
                        guard (object.visible ?? 1) >= 0.5 else { continue }
                        let want = GroundingBox(x0: object.box[0], y0: object.box[1], x1: object.box[2], y1: object.box[3])
                        let hit = result.status == .grounded && (box?.iou(want) ?? 0) >= 0.5
                        hits[phrase, default: (0, 0)].0 += hit ? 1 : 0
                        hits[phrase, default: (0, 0)].1 += 1
                    } else {
                        falseBoxes[phrase, default: (0, 0)].0 += result.status == .notFound ? 0 : 1
                        falseBoxes[phrase, default: (0, 0)].1 += 1
                    }
                }
            }
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { throw CommandFailure("\(recording) has no frames") }
            let rate = { (counts: [String: (Int, Int)]) in counts.mapValues { Double($0.0) / Double(max(1, $0.1)) } }
            return Report(
                frames: files.count, windows: windows, p50Ms: sorted[sorted.count / 2],
                p99Ms: sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))], maxMs: sorted.last!,
                hitRate: rate(hits), falseBoxRate: rate(falseBoxes))
        }
        if json {
            print(JSONLines.line(report))
        } else {
            print(String(format: "grounding %d frames x %d phrases, %d windows a frame: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                         report.frames, phrases.count, report.windows, report.p50Ms, report.p99Ms, report.maxMs))
            for phrase in phrases {
                let hit = report.hitRate[phrase].map { String(format: "%.1f%%", $0 * 100) } ?? "-"
                let fp = report.falseBoxRate[phrase].map { String(format: "%.1f%%", $0 * 100) } ?? "-"
                print("  \(phrase): hit rate (IoU >= 0.5, in view) \(hit), false box when out of view \(fp)")
            }
        }
    }
}
