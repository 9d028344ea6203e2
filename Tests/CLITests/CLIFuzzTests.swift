import Foundation
import Imaging
import TestSupport
import Testing
import ThreadSupport

/// A reproducible fuzz run of the `sightline` binary over the files it reads and the options it
/// takes: model configs, preprocessor configs, safetensors and GGUF headers, tokenizer files,
/// launch and calibration YAML, `--set` overrides, and every numeric option with extreme values.
/// Each case runs the binary under a time limit and counts as a crash (killed by a signal) or a
/// hang (killed at the limit); both must be zero. A refusal with an error is the expected outcome
/// of most cases; an exit 0 is fine too (some mutations are harmless).
///
/// `make test` runs a small, fixed number of cases. For a larger run:
///     SIGHTLINE_FUZZ_CASES=1200 SIGHTLINE_FUZZ_SEED=7 scripts/fuzz/cli_fuzz.sh
@Suite("CLI fuzz: hostile files and options never crash or hang the CLI")
struct CLIFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let cases = environment["SIGHTLINE_FUZZ_CASES"].flatMap(Int.init) ?? 400
    static let seed = environment["SIGHTLINE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5167_6874
    static let timeLimit = environment["SIGHTLINE_FUZZ_TIMEOUT_S"].flatMap(Double.init) ?? 10

    static let fixtures = CLI.repository.appendingPathComponent("Tests/Fixtures")
    static let tinyCLIP = fixtures.appendingPathComponent("clip/tiny_a")
    static let tinyLM = fixtures.appendingPathComponent("lm/tiny/llama-gqa-untied")
    static let scene = "Tests/Fixtures/demo/scenes/0000.png"

    /// One run of the binary: what it was given and a short name for the report.
    struct Case {
        var name: String
        var arguments: [String]
    }

    /// The kinds of case, taken in turn so every kind gets its share of any count.
    static let kinds: [(String, @Sendable (inout SplitMix64, URL) throws -> Case)] = [
        ("clip config.json", clipConfig), ("preprocessor_config.json", preprocessorConfig),
        ("safetensors header", safetensorsHeader), ("clip tokenizer files", clipTokenizer),
        ("GGUF header", ggufHeader), ("language model config.json", languageModelConfig),
        ("launch YAML", launchYAML), ("calibration YAML", calibrationYAML),
        ("--set override", override), ("numeric option", numericOption), ("numeric option", numericOption),
    ]

    @Test(.timeLimit(.minutes(30)))
    func fuzzTheCommandLine() async throws {
        // Long and blocking: on a thread of its own, not one of the cooperative pool's two.
        try await onDedicatedThread("cli-fuzz") { try Self.fuzzTheCommandLineBody() }
    }

    static func fuzzTheCommandLineBody() throws {
        var random = SplitMix64(seed: Self.seed)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cli-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var runs = 0, refused = 0
        var crashes: [String] = [], hangs: [String] = []
        for index in 0..<Self.cases {
            let folder = root.appendingPathComponent("\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let (kind, make) = Self.kinds[index % Self.kinds.count]
            let fuzzCase = try make(&random, folder)
            let run = try runBounded(CLI.binary, fuzzCase.arguments, in: CLI.repository, seconds: Self.timeLimit)
            runs += 1
            let shown = "#\(index) \(kind): \(fuzzCase.name) \(fuzzCase.arguments.map { $0.count > 120 ? String($0.prefix(120)) + "…" : $0 })"
            if run.hung {
                hangs.append(shown)
            } else if let output = run.output {
                if output.crashed { crashes.append(shown + " stderr: \(output.stderr.suffix(300))") }
                if output.status != 0 { refused += 1 }
            }
            try? FileManager.default.removeItem(at: folder)
        }
        print("CLI fuzz: seed \(Self.seed), \(runs) runs, \(refused) refused with an error, \(crashes.count) crashes, \(hangs.count) hangs (limit \(Self.timeLimit) s)")
        #expect(runs == Self.cases)
        #expect(crashes.isEmpty, "crashes:\n\(crashes.joined(separator: "\n"))")
        #expect(hangs.isEmpty, "hangs:\n\(hangs.joined(separator: "\n"))")
    }

    // MARK: Model files

    /// A copy of `source` (a folder) in `folder`.
    static func copy(_ source: URL, into folder: URL) throws -> URL {
        let target = folder.appendingPathComponent(source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: target)
        return target
    }

    /// `json` with one value replaced by an extreme one, or its text edited byte by byte.
    static func mutatedJSON(_ text: String, _ random: inout SplitMix64) -> (String, String) {
        if Bool.random(using: &random) {
            let edited = randomlyEdited(Array(text.utf8), alphabet: Array("0123456789-+.eE\"{}[]:,\\ \u{0}".utf8), using: &random)
            return ("edited bytes", String(decoding: edited, as: UTF8.self))
        }
        // A key's value, found in the text: replace what follows `"key":` up to the next , or }.
        let keys = text.matches(of: /"([a-z_]+)"\s*:\s*(-?[0-9.eE+-]+|true|false|null|"[^"]*")/).map { String($0.output.1) }
        guard let key = keys.randomElement(using: &random), let match = text.firstMatch(of: try! Regex("\"\(key)\"\\s*:\\s*(-?[0-9.eE+-]+|true|false|null|\"[^\"]*\")")) else {
            return ("unchanged", text)
        }
        let value = ExtremeNumbers.json.randomElement(using: &random)!
        return ("\(key)=\(value)", text.replacingCharacters(in: match.range, with: "\"\(key)\": \(value)"))
    }

    static func clipConfig(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        try editedCLIPFile("config.json", &random, folder)
    }

    static func preprocessorConfig(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        try editedCLIPFile("preprocessor_config.json", &random, folder)
    }

    static func editedCLIPFile(_ name: String, _ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let model = try copy(tinyCLIP, into: folder)
        let file = model.appendingPathComponent(name)
        let (what, text) = mutatedJSON(try String(contentsOf: file, encoding: .utf8), &random)
        try Data(text.utf8).write(to: file)
        return Case(name: what, arguments: ["clip", "--model", model.path, "--text", "a red cube", "--image", model.appendingPathComponent("image0.png").path])
    }

    static func safetensorsHeader(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let model = try copy(tinyCLIP, into: folder)
        let file = model.appendingPathComponent("model.safetensors")
        var bytes = [UInt8](try Data(contentsOf: file))
        let length = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let what: String
        switch Int.random(in: 0..<4, using: &random) {
        case 0:  // the length field off by a little, or extreme
            let delta = [-9, -1, 1, 7, Int(Int32.max), -length].randomElement(using: &random)!
            withUnsafeBytes(of: UInt64(truncatingIfNeeded: length + delta).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
            what = "header length \(length)\(delta >= 0 ? "+" : "")\(delta)"
        case 1:  // a value in the header JSON, keeping its length field right
            let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
            var mutated = header
            let numbers = header.matches(of: /[0-9]+/)
            if let number = numbers.randomElement(using: &random) {
                mutated = header.replacingCharacters(in: number.range, with: ExtremeNumbers.json.randomElement(using: &random)!)
            }
            let newHeader = Array(mutated.utf8)
            bytes = Array(bytes[0..<8]) + newHeader + Array(bytes[(8 + length)...])
            withUnsafeBytes(of: UInt64(newHeader.count).littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
            what = "header value"
        case 2:  // header bytes edited in place
            bytes = randomlyEdited(bytes, in: 8..<(8 + length), using: &random)
            what = "header bytes"
        default:  // truncated
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            what = "truncated to \(bytes.count) bytes"
        }
        try Data(bytes).write(to: file)
        return Case(name: what, arguments: ["clip", "--model", model.path, "--text", "a red cube", "--image", model.appendingPathComponent("image0.png").path])
    }

    static func clipTokenizer(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let model = try copy(tinyCLIP, into: folder)
        let name = Bool.random(using: &random) ? "vocab.json" : "merges.txt"
        let file = model.appendingPathComponent(name)
        let edited = randomlyEdited([UInt8](try Data(contentsOf: file)), maximumEdits: 8, using: &random)
        try Data(edited).write(to: file)
        return Case(name: name, arguments: ["tokenize", "--model", model.path, "--clip", "a red cube on the table"])
    }

    static func ggufHeader(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let file = folder.appendingPathComponent("model.gguf")
        var bytes = [UInt8](try Data(contentsOf: tinyLM.appendingPathComponent("model-q8_0.gguf")))
        let what: String
        // Integer fields after a key or tensor name: overwrite the 4 or 8 bytes that follow with an extreme.
        let names = ["llama.embedding_length", "llama.block_count", "llama.feed_forward_length", "llama.attention.head_count",
                     "llama.attention.head_count_kv", "llama.context_length", "llama.rope.dimension_count",
                     "tokenizer.ggml.tokens", "tokenizer.ggml.merges", "token_embd.weight", "output.weight", "blk.0.attn_q.weight"]
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            let name = names.randomElement(using: &random)!
            if let at = bytes.firstRange(of: Array(name.utf8))?.upperBound {
                let offset = at + Int.random(in: 0..<16, using: &random)
                let value = [UInt64.max, UInt64(Int64.max), 1 << 32, 1 << 31, 0, 1 << 40].randomElement(using: &random)!
                let width = Bool.random(using: &random) ? 4 : 8
                for k in 0..<width where offset + k < bytes.count { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
                what = "\(name)+\(offset - at) = \(value) (\(width) bytes)"
            } else {
                what = "no \(name)"
            }
        case 1:  // the tensor and key counts
            let offset = Bool.random(using: &random) ? 8 : 16
            let value = [UInt64.max, UInt64(Int64.max), 1 << 32, 0, 100_000].randomElement(using: &random)!
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
            what = "count at \(offset) = \(value)"
        default:
            bytes = randomlyEdited(bytes, maximumEdits: 8, in: 0..<min(bytes.count, 4096), using: &random)
            what = "header bytes"
        }
        try Data(bytes).write(to: file)
        let arguments = Bool.random(using: &random)
            ? ["tokenize", "--model", file.path, "hello world"]
            : ["generate", "--model", file.path, "--prompt", "hello", "--max-tokens", "2"]
        return Case(name: what, arguments: arguments)
    }

    static func languageModelConfig(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let model = try copy(tinyLM.appendingPathComponent("hf"), into: folder)
        let file = model.appendingPathComponent("config.json")
        let (what, text) = mutatedJSON(try String(contentsOf: file, encoding: .utf8), &random)
        try Data(text.utf8).write(to: file)
        return Case(name: what, arguments: ["generate", "--model", model.path, "--prompt", "hello", "--max-tokens", "2"])
    }

    // MARK: YAML

    /// YAML text with a number replaced by an extreme one, bytes edited, or nesting deepened.
    static func mutatedYAML(_ text: String, _ random: inout SplitMix64) -> (String, String) {
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            let numbers = text.matches(of: /-?[0-9]+(\.[0-9]+)?/)
            guard let number = numbers.randomElement(using: &random) else { return ("unchanged", text) }
            let value = ExtremeNumbers.texts.randomElement(using: &random)!
            return ("number=\(value)", text.replacingCharacters(in: number.range, with: value))
        case 1:
            let edited = randomlyEdited(Array(text.utf8), alphabet: Array("-:[]{}&*!|>'\"%@`#, \n\t0123456789".utf8), maximumEdits: 6, using: &random)
            return ("edited bytes", String(decoding: edited, as: UTF8.self))
        default:
            let depth = [100, 1000, 20_000].randomElement(using: &random)!
            let deep = Bool.random(using: &random)
                ? String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                : (0..<min(depth, 3000)).map { String(repeating: " ", count: $0) + "- " }.joined(separator: "\n")
            return ("nested \(depth)", text + "\nextra:\n" + deep + "\n")
        }
    }

    static func launchYAML(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let source = try String(contentsOf: CLI.repository.appendingPathComponent("Launch/demo.yaml"), encoding: .utf8)
        let (what, text) = mutatedYAML(source, &random)
        // The launch file's relative paths resolve against its folder: keep it beside demo.yaml's.
        let file = folder.appendingPathComponent("launch.yaml")
        try Data(text.utf8).write(to: file)
        return Case(name: what, arguments: ["launch-check", file.path])
    }

    static func calibrationYAML(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let useTransform = Bool.random(using: &random)
        let name = useTransform ? "Calibration/example-base-transform.yaml" : "Calibration/example-640x480.yaml"
        let source = try String(contentsOf: CLI.repository.appendingPathComponent(name), encoding: .utf8)
        let (what, text) = mutatedYAML(source, &random)
        let file = folder.appendingPathComponent("calibration.yaml")
        try Data(text.utf8).write(to: file)
        let camera = useTransform ? "Calibration/example-640x480.yaml" : file.path
        var arguments = ["launch-check", "Launch/demo.yaml", "--files", "--set", "models.interpreter=", "--set", "calibration.camera=\(CLI.repository.appendingPathComponent(camera).path)"]
        if useTransform { arguments += ["--set", "calibration.base_transform=\(file.path)"] }
        return Case(name: what, arguments: arguments)
    }

    /// Keys of the launch file, with the kind of value they take.
    static let launchKeys = [
        "models.threads", "models.bf16_threads", "budgets_ms.frame", "budgets_ms.ground", "budgets_ms.interpret",
        "budgets_ms.intent_validity", "scene.publish_hz", "metrics.port", "limits.max_message_bytes",
        "limits.max_text_chars", "limits.queue_depth", "limits.per_client_rate", "intents.ground_hz",
        "intents.lifetime_s", "intents.grounding_max_side", "intents.annotate_limit", "intents.window_stride",
        "intents.window_scales", "intents.window_scales.0", "source.replay.fps", "interpreter_settings.max_tokens",
        "interpreter_settings.temperature", "interpreter_settings.seed", "interpreter_settings.context_tokens",
        "scene.vocabulary.0", "version", "metrics.address",
    ]

    static func override(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let key: String, value: String
        switch Int.random(in: 0..<4, using: &random) {
        case 0, 1:
            key = launchKeys.randomElement(using: &random)!
            value = ExtremeNumbers.texts.randomElement(using: &random)!
        case 2:
            let depth = [17, 100, 10_000].randomElement(using: &random)!
            key = Array(repeating: "k", count: depth).joined(separator: ".")
            value = "1"
        default:
            key = launchKeys.randomElement(using: &random)!
            let length = [1000, 100_000].randomElement(using: &random)!
            value = Bool.random(using: &random)
                ? String(repeating: "[", count: length / 2) + String(repeating: "]", count: length / 2)
                : String(repeating: "x", count: length)
        }
        return Case(name: "\(key.prefix(40))=\(value.prefix(20))", arguments: ["launch-check", "Launch/demo.yaml", "--set", "\(key)=\(value)"])
    }

    // MARK: Numeric options

    /// Each command with its numeric options, the arguments it needs to get past its own checks,
    /// and extra arguments that keep a valid run short (a valid extreme is allowed to succeed).
    static let commands: [(base: [String], options: [String])] = [
        (["ground", "--model", "Models/demo-clip", "--image", scene, "--text", "a red cube"],
         ["--threshold", "--stride", "--window-scales", "--threads", "--bf16-threads"]),
        (["clip", "--model", "Tests/Fixtures/clip/tiny_a", "--text", "a cat"], ["--threads", "--bf16-threads"]),
        (["replay", "Recordings/demo", "--frames", "3"], ["--fps"]),
        (["replay", "Recordings/demo", "--fast"], ["--frames", "--max-gap"]),
        (["generate", "--model", "Tests/Fixtures/lm/tiny/llama-gqa-untied/model-q8_0.gguf", "--prompt", "hi"],
         ["--max-tokens", "--temperature", "--seed", "--threads", "--image-pooling"]),
        (["send", "--endpoint", "tcp://127.0.0.1:9", "--timeout", "0.2", "pick up the cup"], ["--deadline-ms", "--follow"]),
        (["send", "--endpoint", "tcp://127.0.0.1:9", "pick up the cup"], ["--timeout"]),
        (["listen", "--endpoint", "tcp://127.0.0.1:9", "--timeout", "0.2"], ["--count"]),
        (["listen", "--endpoint", "tcp://127.0.0.1:9"], ["--timeout"]),
        (["record", "--device", "/dev/video-none", "--out", "/nonexistent/rec"], ["--seconds", "--frames", "--fps"]),
    ]

    static func numericOption(_ random: inout SplitMix64, _ folder: URL) throws -> Case {
        let command = commands.randomElement(using: &random)!
        let option = command.options.randomElement(using: &random)!
        var value = ExtremeNumbers.texts.randomElement(using: &random)!
        // A list option gets an extreme among ordinary values sometimes.
        if option == "--window-scales", Bool.random(using: &random) { value = "0.2,\(value),0.45" }
        // "-1" would read as an option; "--x=-1" is how a user gives a negative value.
        return Case(name: "\(command.base[0]) \(option)=\(value)", arguments: command.base + ["\(option)=\(value)"])
    }
}
