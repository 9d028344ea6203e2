import ThreadSupport
import ArgumentParser
import CLIP
import Foundation
import Grounding
import Imaging
import Kernels

struct GroundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground",
        abstract: "Find a phrase in an image with CLIP: a box, its center and a score, or an abstention.",
        discussion: """
            Scores multi-scale sliding windows of the image against the phrase, calibrated against the \
            scene vocabulary and background prompts, and prints (with --json) one object:
              {"status": "grounded"|"not_found"|"ambiguous", "box": [x0,y0,x1,y1], "center": [u,v], "score": s}
            in pixels of the input image, plus "regions" (the best separate windows) and "windows" and \
            "milliseconds". "box" and "center" are null when the status is not_found; "score" is the best \
            region's calibrated probability in every case. The vocabulary is --vocabulary FILE (one phrase \
            a line), else vocabulary.txt in the model folder, else background prompts only.
            """)

    @Option(help: "CLIP checkpoint folder (Hugging Face layout).")
    var model: String

    @Option(help: "The image, JPEG or PNG.")
    var image: String

    @Option(help: "The phrase to find, e.g. \"a red cube\".")
    var text: String

    @Option(help: "Scene vocabulary file, one phrase a line (default: vocabulary.txt in the model folder).")
    var vocabulary: String?

    @Option(help: "The previous box, x0,y0,x1,y1: a continuity prior.")
    var prior: String?

    @Option(help: "Calibrated probability under which the answer is not_found (default \(GroundingConfiguration().foundThreshold)).")
    var threshold: Float?

    @Option(help: "Window sides as fractions of the image's shorter side, comma-separated (default \(GroundingConfiguration().windowScales.map { "\($0)" }.joined(separator: ","))).")
    var windowScales: String?

    @Option(help: "Step between windows as a fraction of the window side (default \(GroundingConfiguration().stride)).")
    var stride: Float?

    @Flag(help: "Dense patch-similarity mode: the box from the patch tokens' similarity map around the best window.")
    var dense = false

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @OptionGroup var arithmetic: PrecisionOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--text is empty") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
        if let prior, Self.parseBox(prior) == nil {
            throw ValidationError("--prior must be four numbers x0,y0,x1,y1 with x0 < x1 and y0 < y1, got '\(prior)'")
        }
        if let threshold, !(0...1).contains(threshold) { throw ValidationError("--threshold must be in 0...1") }
        if let problem = try settings().validate() { throw ValidationError(problem) }
    }

    static func parseBox(_ text: String) -> GroundingBox? {
        let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 4, values.allSatisfy(\.isFinite), values[0] < values[2], values[1] < values[3] else { return nil }
        return GroundingBox(x0: values[0], y0: values[1], x1: values[2], y1: values[3])
    }

    /// The defaults with this command's overrides.
    func settings() throws -> GroundingConfiguration {
        var settings = GroundingConfiguration()
        if let threshold { settings.foundThreshold = threshold }
        if let stride { settings.stride = stride }
        if let windowScales {
            let scales = windowScales.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !scales.isEmpty, scales.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--window-scales must be comma-separated numbers, got '\(windowScales)'")
            }
            settings.windowScales = scales.map { $0! }
        }
        settings.dense = dense
        return settings
    }

    struct Output: Encodable {
        var result: GroundingResult
        var milliseconds: Double

        enum CodingKeys: String, CodingKey { case status, box, center, score, regions, windows, milliseconds }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(result.status.rawValue, forKey: .status)
            try c.encode(result.box.map { $0.array.map(Self.rounded) }, forKey: .box)
            try c.encode(result.center.map { [Self.rounded($0.u), Self.rounded($0.v)] }, forKey: .center)
            try c.encode(result.score, forKey: .score)
            try c.encode(result.regions.map { Region(box: $0.box.array.map(Self.rounded), score: $0.probability) }, forKey: .regions)
            try c.encode(result.windowCount, forKey: .windows)
            try c.encode((milliseconds * 10).rounded() / 10, forKey: .milliseconds)
        }

        struct Region: Encodable { var box: [Float]; var score: Float }

        static func rounded(_ v: Float) -> Float { (v * 10).rounded() / 10 }
    }

    func run() async throws {
        let (modelPath, imagePath, phrase, threads, arithmetic) = (model, image, text, self.threads, self.arithmetic)
        let configuration = try settings()
        let vocabularyPath = vocabulary ?? (FileManager.default.fileExists(atPath: model + "/vocabulary.txt") ? model + "/vocabulary.txt" : nil)
        let priorBox = prior.flatMap(Self.parseBox)
        let output = try await onDedicatedThread("sightline.ground") { () throws -> Output in
            BLAS.setThreads(threads)
            let precision = arithmetic.apply(threads: threads)
            var phrases: [String] = []
            if let vocabularyPath {
                guard let contents = try? String(contentsOfFile: vocabularyPath, encoding: .utf8) else {
                    throw CommandFailure("cannot read the vocabulary file \(vocabularyPath)")
                }
                phrases = contents.split(whereSeparator: \.isNewline).map(String.init)
            }
            do throws(CLIPError) {
                let frame: RGBImage
                do throws(ImagingError) { frame = try ImageFile.read(imagePath) } catch { throw CLIPError.invalidInput(error.description) }
                let clip = try CLIPModel(directory: modelPath, precision: precision)
                let grounder = try Grounder(model: clip, tokenizer: try clip.loadTokenizer(), vocabulary: phrases, configuration: configuration)
                let start = ContinuousClock.now
                let result = try grounder.ground(phrase, in: frame, prior: priorBox)
                let elapsed = ContinuousClock.now - start
                return Output(result: result, milliseconds: Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            } catch {
                throw CommandFailure(error.description)
            }
        }
        if json {
            print(JSONLines.line(output))
        } else {
            let r = output.result
            let where_ = r.box.map { b in String(format: "box [%.0f, %.0f, %.0f, %.0f] center (%.0f, %.0f)", b.x0, b.y0, b.x1, b.y1, b.center.u, b.center.v) } ?? "no box"
            print("\(r.status.rawValue): \(where_), score \(String(format: "%.3f", r.score)) (\(r.windowCount) windows, \(String(format: "%.0f", output.milliseconds)) ms)")
        }
    }
}
