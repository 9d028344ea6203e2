import Foundation
import TestSupport
import Testing

/// `sightline generate --image` with both LLaVA distributions: the LM contract's JSON and logits,
/// and a one-line error for each kind of wrong input.
@Suite("sightline generate with an image")
struct LLaVACLITests {
    static let fixtures = CLI.repository.appendingPathComponent("Tests/Fixtures/llava")
    static func path(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }

    struct Reference: Decodable {
        var prompt: String
        var greedy_ids: [Int]
        var pooled_greedy_ids: [Int]
        var ids_before_image: [Int]
        var ids_after_image: [Int]
        var image_rows: Int
        var logit_offsets: [Int]
        var logits_after_image: [[Float]]
    }

    static func reference(_ model: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent("\(model)/reference.json")))
    }

    static let runs: [(model: String, arguments: [String])] = [
        ("llama-mlp2x-pad", ["--model", path("llama-mlp2x-pad/model.gguf"), "--mmproj", path("llama-mlp2x-pad/mmproj.gguf")]),
        ("qwen2-linear", ["--model", path("qwen2-linear/hf")]),
    ]

    @Test(arguments: runs)
    func greedyJSONAndLogitsMatchTransformers(model: String, arguments: [String]) throws {
        let reference = try Self.reference(model)
        let logitsFile = FileManager.default.temporaryDirectory.appendingPathComponent("llava-logits-\(UUID()).f32")
        defer { try? FileManager.default.removeItem(at: logitsFile) }
        let result = try CLI.run(["generate"] + arguments + [
            "--image", Self.path("image.png"), "--prompt", reference.prompt, "--max-tokens", "\(reference.greedy_ids.count)",
            "--json", "--dump-logits", logitsFile.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(output.keys) == ["text", "tokens", "prompt_tokens", "timings"])
        #expect(output["tokens"] as? [Int] == reference.greedy_ids)
        #expect(output["prompt_tokens"] as? Int == reference.ids_before_image.count + reference.image_rows + reference.ids_after_image.count)
        // The dumped logits are those after the whole prompt: the reference's last row.
        let data = try Data(contentsOf: logitsFile)
        let logits = data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
        let expected = try #require(reference.logits_after_image.last)
        #expect(reference.logit_offsets.last == reference.ids_after_image.count - 1)
        #expect(logits.count == expected.count)
        #expect(zip(logits, expected).map { abs($0 - $1) }.max() ?? 1 <= 1e-3)
    }

    @Test func imagePoolingGivesThePooledContinuation() throws {
        let reference = try Self.reference("llama-mlp2x-pad")
        let result = try CLI.run([
            "generate", "--model", Self.path("llama-mlp2x-pad/hf"), "--image", Self.path("image.png"), "--prompt", reference.prompt,
            "--max-tokens", "\(reference.pooled_greedy_ids.count)", "--image-pooling", "2", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(output["tokens"] as? [Int] == reference.pooled_greedy_ids)
    }

    @Test func imagePromptWithoutAnImage() throws {
        let result = try CLI.run(["generate", "--model", Self.path("qwen2-linear/hf"), "--prompt", "<image>\nWhat is it?"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("<image> marker but no image was given"))
    }

    @Test func imageWithoutAVisionModel() throws {
        let result = try CLI.run(["generate", "--model", Self.path("qwen2-linear/model.gguf"), "--image", Self.path("image.png"), "--prompt", "hi"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--image needs a vision model"))
    }

    @Test func mmprojOfAnotherLanguageModel() throws {
        let lm = CLI.repository.appendingPathComponent("Tests/Fixtures/lm/tiny/llama-gqa-untied/model-f32.gguf").path
        let result = try CLI.run(["generate", "--model", lm, "--mmproj", Self.path("llama-mlp2x-pad/mmproj.gguf"), "--image", Self.path("image.png"), "--prompt", "hi"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("outputs 32 values per image token but the language model's hidden size is 64"))
    }
}
