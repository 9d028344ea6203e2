import Foundation
import LLaVA
import LanguageModel
import TestSupport
import Testing
import Tokenizers

/// Each way of handing LLaVA the wrong thing is an error that says what is wrong.
@Suite("LLaVA bad input")
struct LLaVABadInputTests {
    static let tinyLanguageModel = RepositoryPaths.fixtures.appendingPathComponent("lm/tiny/llama-gqa-untied/model-f32.gguf").path

    @Test func imageMarkerWithoutAnImage() throws {
        let tokenizer = try LMTokenizer(ggufPath: LLaVAFixtures.path("llama-mlp2x-pad/model.gguf"))
        #expect(throws: LLaVAError.invalidInput("the prompt has an <image> marker but no image was given (--image)")) {
            try ImagePrompt(text: "USER: <image>\nWhat is this? ASSISTANT:", image: nil, tokenizer: tokenizer)
        }
    }

    @Test func imageWithoutAMarkerOrWithTwo() throws {
        let tokenizer = try LMTokenizer(ggufPath: LLaVAFixtures.path("llama-mlp2x-pad/model.gguf"))
        let image = ImageEmbedding(values: [Float](repeating: 0, count: 32), rows: 1, width: 32)
        #expect(throws: LLaVAError.self) { try ImagePrompt(text: "no marker here", image: image, tokenizer: tokenizer) }
        #expect(throws: LLaVAError.invalidInput("the prompt has 2 <image> markers; one image per prompt is supported")) {
            try ImagePrompt(text: "<image> and <image>", image: image, tokenizer: tokenizer)
        }
    }

    @Test func mmprojForAnotherLanguageModel() throws {
        let encoder = try LLaVALoader.mmproj(path: LLaVAFixtures.path("llama-mlp2x-pad/mmproj.gguf"))
        let lm = try LanguageModel(gguf: Self.tinyLanguageModel, tokenBudget: 16, threads: 1)
        #expect(lm.configuration.hiddenSize == 64)
        #expect(throws: LLaVAError.projectorWidthMismatch(projector: 32, languageModel: 64)) {
            try encoder.checkCompatible(with: lm.configuration)
        }
        #expect(LLaVAError.projectorWidthMismatch(projector: 32, languageModel: 64).description.contains("hidden size is 64"))
    }

    @Test func unsupportedProjectorInAnMmprojFile() throws {
        // The same file with clip.projector_type "mlp" changed to "ldp" (MobileVLM), byte for byte.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: LLaVAFixtures.path("llama-mlp2x-pad/mmproj.gguf"))))
        let key = Array("clip.projector_type".utf8)
        let at = try #require((0...(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key })
        let value = at + key.count + 4 + 8  // value type (u32), string length (u64)
        #expect(Array(bytes[value..<(value + 3)]) == Array("mlp".utf8))
        bytes.replaceSubrange(value..<(value + 3), with: Array("ldp".utf8))
        let directory = try LLaVAFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mmproj.gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: LLaVAError.unsupportedProjector(path: path, type: "ldp")) { try LLaVALoader.mmproj(path: path) }
        #expect(LLaVAError.unsupportedProjector(path: path, type: "ldp").description.contains("'ldp' is not supported"))
    }

    @Test func unsupportedProjectorInAHuggingFaceFolder() throws {
        let directory = try LLaVAFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = URL(fileURLWithPath: LLaVAFixtures.path("llama-mlp2x-pad/hf"))
        for name in ["model.safetensors", "preprocessor_config.json", "tokenizer.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        config["mm_projector_type"] = "resampler"
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        #expect(throws: LLaVAError.unsupportedProjector(path: directory.path + "/config.json", type: "resampler")) {
            try LLaVALoader.huggingFace(directory: directory.path)
        }
    }

    @Test func aLanguageModelFileIsNotAnMmproj() {
        #expect(throws: LLaVAError.self) { try LLaVALoader.mmproj(path: Self.tinyLanguageModel) }
        #expect(!LLaVALoader.isHuggingFaceFolder(LLaVAFixtures.path("llama-mlp2x-pad")))
        #expect(LLaVALoader.isHuggingFaceFolder(LLaVAFixtures.path("llama-mlp2x-pad/hf")))
    }

    @Test func poolingFactorMustBePositive() {
        #expect(throws: LLaVAError.self) { try ImageTokenReduction(factor: 0) }
    }
}

/// Damaged mmproj files (truncated, bytes flipped) are refused with an error, never a crash.
@Suite("LLaVA mmproj fuzzing")
struct MmprojFuzzTests {
    @Test func truncatedAndCorruptedFilesAreErrors() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: LLaVAFixtures.path("qwen2-linear/mmproj.gguf"))))
        let directory = try LLaVAFixtures.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("mmproj.gguf").path
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var refused = 0
        for trial in 0..<60 {
            var bytes = original
            if trial < 20 {
                bytes = Array(bytes.prefix(next(4096)))  // the header and metadata are in the first few KB
            } else {
                for _ in 0..<4 { bytes[next(4096)] = UInt8(next(256)) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try LLaVALoader.mmproj(path: path)
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(refused >= 20)  // at least every truncation
    }
}
