import Foundation
import TestSupport
import Testing

/// `sightline generate` and `sightline tokenize --model FILE TEXT` are contracts external
/// checks use: JSON shape, greedy ids and logits equal to the fixtures'.
@Suite("sightline generate")
struct GenerateCLITests {
    static let tiny = CLI.repository.appendingPathComponent("Tests/Fixtures/lm/tiny")
    static let models = ["qwen2-gqa-tied-qkvbias", "llama-gqa-untied"]
    /// The text of the fixtures' "tokenized_text" sequence.
    static let prompt = "<|im_start|>user\nThe robot pi"

    struct Reference: Decodable {
        struct Sequence: Decodable { var name: String; var ids: [Int32]; var logits: [[Float]]; var greedy_ids: [Int32] }
        var sequences: [Sequence]
    }

    static func sequence(_ model: String) throws -> Reference.Sequence {
        let data = try Data(contentsOf: tiny.appendingPathComponent("\(model)/reference.json"))
        return try JSONDecoder().decode(Reference.self, from: data).sequences.first { $0.name == "tokenized_text" }!
    }

    func json(_ result: CLI.Result) throws -> [String: Any] {
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test(arguments: models)
    func tokenizeWithTheLanguageModelTokenizer(model: String) throws {
        let expected = try Self.sequence(model).ids
        for path in ["\(model)/model-f32.gguf", "\(model)/hf"] {
            let output = try json(try CLI.run(["tokenize", "--model", Self.tiny.appendingPathComponent(path).path, Self.prompt, "--json"]))
            #expect(output["ids"] as? [Int] == expected.map(Int.init), "\(path)")
        }
    }

    @Test(arguments: models)
    func greedyJSONAndLogitsMatchTheFixture(model: String) throws {
        let sequence = try Self.sequence(model)
        let logitsFile = FileManager.default.temporaryDirectory.appendingPathComponent("logits-\(UUID()).f32")
        defer { try? FileManager.default.removeItem(at: logitsFile) }
        let output = try json(try CLI.run([
            "generate", "--model", Self.tiny.appendingPathComponent("\(model)/model-f32.gguf").path, "--prompt", Self.prompt,
            "--max-tokens", "\(sequence.greedy_ids.count)", "--json", "--dump-logits", logitsFile.path,
        ]))
        #expect(Set(output.keys) == ["text", "tokens", "prompt_tokens", "timings"])
        #expect(output["tokens"] as? [Int] == sequence.greedy_ids.map(Int.init))
        #expect(output["prompt_tokens"] as? Int == sequence.ids.count)
        #expect(output["text"] is String)
        let timings = try #require(output["timings"] as? [String: Double])
        #expect(Set(timings.keys) == ["prefill_ms", "decode_ms", "tokens_per_s"])
        #expect(timings.values.allSatisfy { $0 > 0 })

        let data = try Data(contentsOf: logitsFile)
        let expected = sequence.logits.last!
        #expect(data.count == expected.count * 4)
        let logits = data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let error = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-3, "max abs logit error \(error)")
    }

    @Test func plainTextStreamsTheSameTextAndASeedReproducesASample() throws {
        let model = Self.tiny.appendingPathComponent("qwen2-gqa-tied-qkvbias/model-f32.gguf").path
        let base = ["generate", "--model", model, "--prompt", Self.prompt, "--max-tokens", "12"]
        let json = try json(try CLI.run(base + ["--json"]))
        let plain = try CLI.run(base)
        #expect(plain.status == 0)
        #expect(plain.stdout == (json["text"] as! String) + "\n")
        let a = try self.json(try CLI.run(base + ["--json", "--temperature", "1.2", "--seed", "5"]))
        let b = try self.json(try CLI.run(base + ["--json", "--temperature", "1.2", "--seed", "5"]))
        #expect(a["tokens"] as? [Int] == b["tokens"] as? [Int])
    }

    @Test func anHFFolderGivesTheSameGreedyIds() throws {
        let sequence = try Self.sequence("llama-gqa-untied")
        let output = try json(try CLI.run([
            "generate", "--model", Self.tiny.appendingPathComponent("llama-gqa-untied/hf").path, "--prompt", Self.prompt,
            "--max-tokens", "\(sequence.greedy_ids.count)", "--json",
        ]))
        #expect(output["tokens"] as? [Int] == sequence.greedy_ids.map(Int.init))
    }

    static func unknownArchitectureModel() throws -> String {
        var bytes = [UInt8](try Data(contentsOf: tiny.appendingPathComponent("qwen2-gqa-tied-qkvbias/model-f32.gguf")))
        let key = Array("general.architecture".utf8)
        let start = (0..<(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key }!
        let value = start + key.count + 4 + 8
        bytes.replaceSubrange(value..<(value + 5), with: Array("gpt2x".utf8))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lm-unknown-arch.gguf").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test(arguments: [
        (["--model", "/no/such/model.gguf", "--prompt", "hi"], "/no/such/model.gguf"),
        (["--model", "UNKNOWN", "--prompt", "hi"], "gpt2x"),
        (["--model", "TINY", "--prompt", String(repeating: "The robot picks up the red cup. ", count: 400)], "context"),
        (["--model", "TINY", "--prompt", "hi", "--temperature=-0.5"], "--temperature"),
        (["--model", "TINY", "--prompt", "hi", "--max-tokens", "0"], "--max-tokens"),
        (["--model", "TINY", "--prompt", "hi", "--max-tokens", "many"], "many"),
        (["--model", "TINY", "--prompt", "hi", "--threads", "0"], "--threads"),
        (["--model", "TINY", "--prompt", "hi", "--system", "be brief"], "--chat"),
        (["--model", "TINY", "--prompt", ""], "--prompt"),
        (["--model", "TINY"], "--prompt"),
        (["--model", "TINY", "--prompt", "hi", "--schema", "s.json"], "--schema"),
    ])
    func badInputIsOneClearLine(_ arguments: [String], _ mention: String) throws {
        let tinyPath = Self.tiny.appendingPathComponent("qwen2-gqa-tied-qkvbias/model-f32.gguf").path
        let resolved = try arguments.map { $0 == "TINY" ? tinyPath : $0 == "UNKNOWN" ? try Self.unknownArchitectureModel() : $0 }
        try CLI.run(["generate"] + resolved).expectOneClearErrorLine(mentioning: mention)
    }

    static let intentSchema = """
        {"type": "object",
         "properties": {"action": {"enum": ["pick", "place", "go_to", "stop"]}, "target": {"type": "string", "maxLength": 40}},
         "required": ["action", "target"]}
        """

    static func schemaFile(_ text: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID()).json").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// The contract's shape is unchanged with --schema; the text is a valid intent even from random weights.
    @Test(arguments: models)
    func schemaConstrainsTheText(model: String) throws {
        let schema = Self.schemaFile(Self.intentSchema)
        defer { try? FileManager.default.removeItem(atPath: schema) }
        let base = ["generate", "--model", Self.tiny.appendingPathComponent("\(model)/model-f32.gguf").path,
                    "--prompt", "pick up the red cup", "--schema", schema, "--max-tokens", "240"]
        for sampling in [[], ["--temperature", "1", "--seed", "9"]] {
            let output = try json(try CLI.run(base + sampling + ["--json"]))
            #expect(Set(output.keys) == ["text", "tokens", "prompt_tokens", "timings"])
            let text = try #require(output["text"] as? String)
            let intent = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
            #expect(Set(intent.keys) == ["action", "target"], "\(text)")
            #expect(["pick", "place", "go_to", "stop"].contains(intent["action"] as? String ?? ""), "\(text)")
            #expect(((intent["target"] as? String)?.unicodeScalars.count ?? 99) <= 40, "\(text)")
            let plain = try CLI.run(base + sampling)
            #expect(plain.status == 0 && plain.stdout == text + "\n")
        }
    }

    @Test(arguments: [
        (#"{"type": "object", "properties": {"target": {"type": "string", "pattern": "^a"}}}"#, "\"pattern\" at /properties/target/pattern"),
        (#"{"type": "number", "minimum": 0}"#, "/minimum"),
        (#"{"type": "string",}"#, "not valid JSON at byte 18"),
        (#"{"anyOf": [{"type": "integer"}, {"type": "number"}]}"#, "/anyOf"),
    ])
    func aSchemaOutsideTheSubsetIsOneClearLine(_ schema: String, _ mention: String) throws {
        let path = Self.schemaFile(schema)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = Self.tiny.appendingPathComponent("qwen2-gqa-tied-qkvbias/model-f32.gguf").path
        let result = try CLI.run(["generate", "--model", model, "--prompt", "hi", "--schema", path, "--json"])
        #expect(!result.crashed && result.status != 0)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("sightline: error: --schema ") == true, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr should mention \(mention): \(result.stderr)")
    }

    /// The real model turns an instruction into a task intent through the schema.
    @Test(.enabled(if: LocalModels.hasQwenCoder, "no ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (make models)"),
          .enabled(if: BuildConfiguration.isOptimized, "debug build: run with swift test -c release -Xswiftc -enable-testing --filter GenerateCLITests"))
    func qwenChatWithASchemaWritesTheIntent() throws {
        let schema = Self.schemaFile(Self.intentSchema)
        defer { try? FileManager.default.removeItem(atPath: schema) }
        let output = try json(try CLI.run([
            "generate", "--model", LocalModels.qwenCoderPath, "--chat", "--system", "You turn robot commands into JSON tasks.",
            "--prompt", "pick up the red cup", "--max-tokens", "48", "--schema", schema, "--json",
        ]))
        let text = try #require(output["text"] as? String)
        let intent = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        #expect(intent["action"] as? String == "pick", "\(text)")
        #expect((intent["target"] as? String)?.contains("cup") == true, "\(text)")
    }

    @Test func tokenizeNeedsATextOrClip() throws {
        let model = Self.tiny.appendingPathComponent("qwen2-gqa-tied-qkvbias/model-f32.gguf").path
        for arguments in [["tokenize", "--model", model], ["tokenize", "--model", model, "a", "--clip", "b"]] {
            let result = try CLI.run(arguments)
            #expect(result.status != 0)
            #expect(result.stderr.hasPrefix("sightline: error: ") && result.stderr.contains("--clip"), "\(result.stderr)")
        }
    }

    /// The real Qwen2.5-Coder-0.5B-Instruct: ChatML from the GGUF's template, greedy, equal to llama.cpp's run.
    @Test(.enabled(if: LocalModels.hasQwenCoder, "no ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (make models)"),
          .enabled(if: BuildConfiguration.isOptimized, "debug build: run with swift test -c release -Xswiftc -enable-testing --filter GenerateCLITests"))
    func qwenChatGreedyMatchesLlamaCpp() throws {
        let output = try json(try CLI.run([
            "generate", "--model", LocalModels.qwenCoderPath, "--chat", "--system", "You turn robot commands into JSON tasks.",
            "--prompt", "pick up the red cup", "--max-tokens", "32", "--json",
        ]))
        // Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m/greedy.json, chat_robot_pick.
        #expect(output["prompt_tokens"] as? Int == 26)
        #expect(output["tokens"] as? [Int] == [73594, 2236, 198, 515, 220, 330, 8202, 788, 330, 36953, 705, 279, 2518, 10525, 698, 532, 73594, 151645])
        #expect(output["text"] as? String == "```json\n{\n  \"task\": \"Pick up the red cup\"\n}\n```")
    }
}
