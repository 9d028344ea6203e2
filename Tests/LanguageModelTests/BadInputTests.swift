import Foundation
import LanguageModel
import ModelFiles
import Testing

/// Clear errors, never crashes, for inputs and files the decoder cannot run.
@Suite struct BadInputTests {
    static let qwenTiny = "tiny/qwen2-gqa-tied-qkvbias/"

    @Test func promptLongerThanTheCacheBudget() throws {
        let lm = try LanguageModel(gguf: LMFixtures.path(Self.qwenTiny + "model-f32.gguf"), tokenBudget: 8, chunkSize: 4)
        let prompt = [Int32](repeating: 5, count: 9).tokens
        #expect(throws: LanguageModelError.contextOverflow(needed: 9, budget: 8)) { try lm.prefill(prompt) }
        #expect(lm.position == 0)  // nothing was run
        _ = try lm.prefill(Array(prompt.prefix(8)))
        #expect(throws: LanguageModelError.contextOverflow(needed: 9, budget: 8)) { try lm.decode(5) }
        #expect("\(LanguageModelError.contextOverflow(needed: 9, budget: 8))".contains("KV cache holds 8 tokens"))
    }

    @Test func inputsOutsideTheModel() throws {
        let lm = try LanguageModel(huggingFace: LMFixtures.path(Self.qwenTiny + "hf"), tokenBudget: 8)
        #expect(throws: LanguageModelError.self) { try lm.prefill([.token(320)]) }
        #expect(throws: LanguageModelError.self) { try lm.prefill([.token(-1)]) }
        #expect(throws: LanguageModelError.self) { try lm.prefill([.embedding([1, 2, 3])]) }
        #expect(throws: LanguageModelError.self) { try lm.prefill([]) }
    }

    /// Rewrites `general.architecture` (same length, so every offset stays valid).
    static func renamedArchitecture(_ from: String, to: String, in relative: String) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: LMFixtures.root.appendingPathComponent(relative)))
        let key = Array("general.architecture".utf8)
        let start = try #require((0..<(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key })
        // key, then the uint32 value type, the uint64 string length, the string.
        let value = start + key.count + 4 + 8
        #expect(Array(bytes[value..<(value + from.utf8.count)]) == Array(from.utf8))
        bytes.replaceSubrange(value..<(value + to.utf8.count), with: Array(to.utf8))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lm-\(UUID()).gguf").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func unknownGGUFArchitecture() throws {
        let path = try Self.renamedArchitecture("qwen2", to: "gpt2x", in: Self.qwenTiny + "model-f32.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: LanguageModelError.unknownArchitecture(path: path, architecture: "gpt2x")) {
            try LanguageModel(gguf: path)
        }
        #expect("\(LanguageModelError.unknownArchitecture(path: path, architecture: "gpt2x"))".contains("'gpt2x'"))
    }

    @Test func unknownHuggingFaceArchitecture() throws {
        let directory = try copiedCheckpoint { config in config["model_type"] = "falcon" }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: LanguageModelError.unknownArchitecture(path: directory + "/config.json", architecture: "falcon")) {
            try LanguageModel(huggingFace: directory)
        }
    }

    /// A config whose intermediate size disagrees with the weights: the error names the tensor.
    @Test func tensorWithTheWrongShape() throws {
        let directory = try copiedCheckpoint { config in config["intermediate_size"] = 96 }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try LanguageModel(huggingFace: directory)
            Issue.record("loaded a checkpoint whose shapes disagree with its configuration")
        } catch let LanguageModelError.weights(.shapeMismatch(_, tensor, expected, found)) {
            #expect(tensor == "model.layers.0.mlp.gate_proj.weight")
            #expect(expected == [96, 64])
            #expect(found == [128, 64])
        }
    }

    /// A GGUF whose metadata disagrees with a tensor (block_count fine, feed_forward_length wrong).
    @Test func ggufTensorWithTheWrongShape() throws {
        var bytes = [UInt8](try Data(contentsOf: LMFixtures.root.appendingPathComponent(Self.qwenTiny + "model-f32.gguf")))
        let key = Array("qwen2.feed_forward_length".utf8)
        let start = try #require((0..<(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key })
        let value = start + key.count + 4  // after the uint32 type
        #expect(bytes[value] == 128)
        bytes[value] = 100
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lm-\(UUID()).gguf").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: LanguageModelError.weights(.shapeMismatch(path: path, tensor: "blk.0.ffn_gate.weight", expected: [100, 64], found: [128, 64]))) {
            try LanguageModel(gguf: path)
        }
    }

    func copiedCheckpoint(_ edit: (inout [String: Any]) -> Void) throws -> String {
        let source = LMFixtures.root.appendingPathComponent(Self.qwenTiny + "hf")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lm-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: directory.appendingPathComponent("model.safetensors"))
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        return directory.path
    }
}
