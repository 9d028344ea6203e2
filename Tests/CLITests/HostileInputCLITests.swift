import Foundation
import TestSupport
import Testing

/// Inputs an attacker or a corrupt download could hand the CLI (issue 13, fault 5). Each used to
/// end in a signal (SIGILL, SIGABRT, SIGSEGV), a hang or a wrong answer with exit 0; each must be
/// a non-zero exit with one error line naming the problem, within the time limit.
@Suite("Hostile files and options: a clear error, never a signal or a hang")
struct HostileInputCLITests {
    static let tiny = CLI.repository.appendingPathComponent("Tests/Fixtures/clip/tiny_a")
    static let scene = "Tests/Fixtures/demo/scenes/0000.png"

    /// A scratch folder removed when the test ends.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func file(_ name: String, _ contents: Data) throws -> String {
            let path = url.appendingPathComponent(name)
            try contents.write(to: path)
            return path.path
        }
    }

    /// A copy of the tiny CLIP checkpoint with one JSON file edited.
    static func tinyCopy(in scratch: Scratch, editing name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let folder = scratch.url.appendingPathComponent("model")
        try FileManager.default.copyItem(at: tiny, to: folder)
        let file = folder.appendingPathComponent(name)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        return folder.path
    }

    /// Runs the CLI for at most 30 s and checks the outcome is a refusal naming `mention`.
    static func expectRefusal(_ arguments: [String], mentioning mention: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try runBounded(CLI.binary, arguments, in: CLI.repository, seconds: 30)
        #expect(!run.hung, "\(arguments.prefix(4)) hung", sourceLocation: sourceLocation)
        guard let output = run.output else { return }
        #expect(!output.crashed, "\(arguments.prefix(4)) died of a signal: \(output.stderr.suffix(300))", sourceLocation: sourceLocation)
        #expect(output.status != 0, "\(arguments.prefix(4)) exited 0: \(output.stdout.prefix(300))", sourceLocation: sourceLocation)
        #expect(output.stderr.contains(mention), "stderr should mention \(mention): \(output.stderr.prefix(500))", sourceLocation: sourceLocation)
        #expect(output.stderr.split(separator: "\n").count == 1, "one error line: \(output.stderr.prefix(500))", sourceLocation: sourceLocation)
    }

    // MARK: Model files

    @Test func anEndTokenBeyondInt32IsAConfigurationError() throws {
        let scratch = try Scratch()
        let model = try Self.tinyCopy(in: scratch, editing: "config.json") { json in
            var text = json["text_config"] as! [String: Any]
            text["eos_token_id"] = 1_000_000_000_000
            json["text_config"] = text
        }
        try Self.expectRefusal(["clip", "--model", model, "--text", "a cat"], mentioning: "eos_token_id")
    }

    @Test(arguments: [
        ("vocab_size", 1 << 40), ("hidden_size", -1), ("num_hidden_layers", 1_000_000), ("max_position_embeddings", 0),
    ])
    func textSizesOutsideTheLimitsAreConfigurationErrors(_ key: String, _ value: Int) throws {
        let scratch = try Scratch()
        let model = try Self.tinyCopy(in: scratch, editing: "config.json") { json in
            var text = json["text_config"] as! [String: Any]
            text[key] = value
            json["text_config"] = text
        }
        try Self.expectRefusal(["clip", "--model", model, "--text", "a cat"], mentioning: key)
    }

    @Test func aHugeResizeIsRefusedBeforeAllocating() throws {
        let scratch = try Scratch()
        let model = try Self.tinyCopy(in: scratch, editing: "preprocessor_config.json") { json in
            json["size"] = ["shortest_edge": 1_000_000_000]
        }
        try Self.expectRefusal(["clip", "--model", model, "--image", Self.tiny.appendingPathComponent("image0.png").path],
                               mentioning: "shortest_edge")
    }

    @Test func aSafetensorsHeaderOneByteShortIsRefused() throws {
        let scratch = try Scratch()
        let model = try Self.tinyCopy(in: scratch, editing: "config.json") { _ in }
        let weights = URL(fileURLWithPath: model).appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: weights)
        let length = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        withUnsafeBytes(of: (length - 1).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        try bytes.write(to: weights)
        try Self.expectRefusal(["clip", "--model", model, "--text", "a cat", "--image", Self.tiny.appendingPathComponent("image0.png").path],
                               mentioning: "data section")
    }

    @Test func nonFiniteWeightsAreAnErrorNotNaNPercent() throws {
        let scratch = try Scratch()
        let model = try Self.tinyCopy(in: scratch, editing: "config.json") { _ in }
        let weights = URL(fileURLWithPath: model).appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: weights)
        let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let header = try #require(try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as? [String: Any])
        let entry = try #require(header["visual_projection.weight"] as? [String: Any])
        let range = try #require(entry["data_offsets"] as? [Int])
        #expect(entry["dtype"] as? String == "F32")
        let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) }
        for offset in stride(from: 8 + length + range[0], to: 8 + length + range[1], by: 4) {
            bytes.replaceSubrange(offset..<(offset + 4), with: nan)
        }
        try bytes.write(to: weights)
        try Self.expectRefusal(["clip", "--model", model, "--text", "a cat", "--image", Self.tiny.appendingPathComponent("image0.png").path],
                               mentioning: "non-finite")
    }

    // MARK: Launch files and overrides

    @Test func aKeyPathTenThousandLevelsDeepIsRefused() throws {
        let key = Array(repeating: "a", count: 10_000).joined(separator: ".")
        try Self.expectRefusal(["launch-check", "Launch/demo.yaml", "--set", "\(key)=1"], mentioning: "--set")
        let seventeen = Array(repeating: "a", count: 17).joined(separator: ".")
        try Self.expectRefusal(["launch-check", "Launch/demo.yaml", "--set", "\(seventeen)=1"], mentioning: "levels")
        let long = String(repeating: "k", count: 100_000)
        try Self.expectRefusal(["launch-check", "Launch/demo.yaml", "--set", "\(long)=1"], mentioning: "longer than")
    }

    @Test func deeplyNestedYAMLIsRefused() throws {
        let deepFlow = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        try Self.expectRefusal(["launch-check", "Launch/demo.yaml", "--set", "scene.vocabulary=\(deepFlow)"], mentioning: "nests more than")
        let scratch = try Scratch()
        let flowFile = try scratch.file("flow.yaml", Data("source: \(deepFlow)\n".utf8))
        try Self.expectRefusal(["launch-check", flowFile], mentioning: "nested")
        var block = "source:\n"
        for level in 0..<3000 { block += String(repeating: " ", count: 2 * level + 2) + "- \n" }
        let blockFile = try scratch.file("block.yaml", Data(block.utf8))
        try Self.expectRefusal(["launch-check", blockFile], mentioning: "nested")
    }

    // MARK: Numeric options

    @Test(arguments: [
        (["--stride", "1e-9"], "stride"), (["--stride", "nan"], "stride"), (["--stride", "0"], "stride"),
        (["--window-scales", "1e-6"], "window scales"), (["--window-scales", "inf"], "window scales"),
        (["--window-scales=-1"], "window scales"), (["--threshold", "nan"], "--threshold"),
        (["--threshold", "1e300"], "--threshold"), (["--threads", "0"], "--threads"),
        (["--threads", "9223372036854775807"], "--threads"), (["--bf16-threads=-5"], "--bf16-threads"),
    ])
    func groundRefusesExtremeNumbers(_ extra: [String], _ mention: String) throws {
        try Self.expectRefusal(["ground", "--model", "Models/demo-clip", "--image", Self.scene, "--text", "a red cube"] + extra,
                               mentioning: mention)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLI.repository.appendingPathComponent("Models/demo-clip/model.safetensors").path)))
    func tooManyGroundingWindowsAreRefusedBeforeAllocating() throws {
        try Self.expectRefusal(["ground", "--model", "Models/demo-clip", "--image", Self.scene, "--text", "a red cube",
                                "--window-scales", "0.02", "--stride", "0.05"], mentioning: "grounding windows")
    }

    @Test(arguments: [
        (["generate", "--model", "/no/model", "--prompt", "hi", "--max-tokens", "9223372036854775807"], "--max-tokens"),
        (["generate", "--model", "/no/model", "--prompt", "hi", "--temperature", "inf"], "--temperature"),
        (["send", "--deadline-ms", "0", "pick up the cup"], "--deadline-ms"),
        (["send", "--deadline-ms=-9223372036854775808", "pick up the cup"], "--deadline-ms"),
        (["send", "--timeout", "nan", "pick up the cup"], "--timeout"),
        (["replay", "Recordings/demo", "--fps", "1e-300"], "--fps"),
        (["replay", "Recordings/demo", "--max-gap", "nan"], "--max-gap"),
        (["replay", "Recordings/demo", "--frames=-1"], "--frames"),
        (["listen", "--timeout", "1e300"], "--timeout"),
    ])
    func otherCommandsRefuseExtremeNumbers(_ arguments: [String], _ mention: String) throws {
        try Self.expectRefusal(arguments, mentioning: mention)
    }

    // MARK: Replay timing

    @Test func aHugeTimestampGapIsADiscontinuityNotAWait() throws {
        let scratch = try Scratch()
        let demo = CLI.repository.appendingPathComponent("Recordings/demo")
        var lines: [String] = []
        // 10^18 ns (31 years) between the first two frames, then an ordinary 33 ms.
        for (index, monotonic) in [UInt64(1_000), 1_000 + 1_000_000_000_000_000_000, 1_000 + 1_000_000_000_033_000_000].enumerated() {
            let name = String(format: "%06d.jpg", index + 1)
            let jpeg = try Data(contentsOf: demo.appendingPathComponent(name))
            _ = try scratch.file(name, jpeg)
            lines.append(#"{"seq":\#(index + 1),"monotonic_ns":\#(monotonic),"realtime_ns":\#(monotonic),"file":"\#(name)","bytes":\#(jpeg.count)}"#)
        }
        _ = try scratch.file("frames.jsonl", Data(lines.joined(separator: "\n").utf8))
        let run = try runBounded(CLI.binary, ["replay", scratch.url.path, "--json"], in: CLI.repository, seconds: 30)
        let output = try #require(run.output, "replay waited on the gap")
        #expect(!output.crashed && output.status == 0, "\(output.stderr)")
        #expect(output.stdout.split(separator: "\n").count == 4, "three frames and the summary: \(output.stdout)")
        #expect(output.stderr.contains("discontinuity"), "\(output.stderr)")
    }
}
