import Foundation
import Imaging
import LLaVA
import LanguageModel
import TestSupport
import Tokenizers

enum LLaVAFixtures {
    static let root = RepositoryPaths.fixtures.appendingPathComponent("llava")
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func reference(_ model: String) throws -> LLaVAReference {
        try JSONDecoder().decode(LLaVAReference.self, from: Data(contentsOf: root.appendingPathComponent("\(model)/reference.json")))
    }

    static func image() throws -> RGBImage { try ImageFile.read(path("image.png")) }

    /// A scratch folder removed by the caller.
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("llava-tests-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// transformers' outputs for a tiny LLaVA checkpoint (`reference.json`).
struct LLaVAReference: Decodable {
    struct Agreement: Decodable {
        var max_abs_logit_diff: Float
        var top1_agreement: Double
    }
    var prompt: String
    var image_rows: Int
    var grid: Int
    var ids_before_image: [Int32]
    var ids_after_image: [Int32]
    var pixel_sum: Double
    var pixel_abs_sum: Double
    var logit_offsets: [Int]
    var logits_after_image: [[Float]]
    var greedy_ids: [Int32]
    var pool: Int
    var pooled_image_rows: Int
    var pooled_logits_after_image: [[Float]]
    var pooled_greedy_ids: [Int32]
    var pooled_vs_full: Agreement
}

/// One of the fixture's loadable forms: an HF folder, or llama.cpp's GGUF pair.
struct LoadedLLaVA {
    let encoder: LLaVAImageEncoder
    let languageModel: LanguageModel
    let tokenizer: LMTokenizer

    static func huggingFace(_ relative: String, tokenBudget: Int = 256) throws -> LoadedLLaVA {
        let directory = LLaVAFixtures.path(relative)
        let checkpoint = try LLaVALoader.huggingFace(directory: directory)
        return LoadedLLaVA(
            encoder: checkpoint.imageEncoder, languageModel: try checkpoint.languageModel(tokenBudget: tokenBudget, threads: 1),
            tokenizer: try LMTokenizer(tokenizerJSONPath: directory + "/tokenizer.json"))
    }

    static func gguf(_ model: String, tokenBudget: Int = 256) throws -> LoadedLLaVA {
        let encoder = try LLaVALoader.mmproj(path: LLaVAFixtures.path("\(model)/mmproj.gguf"))
        let lmPath = LLaVAFixtures.path("\(model)/model.gguf")
        let lm = try LanguageModel(gguf: lmPath, tokenBudget: tokenBudget, threads: 1)
        try encoder.checkCompatible(with: lm.configuration)
        return LoadedLLaVA(encoder: encoder, languageModel: lm, tokenizer: try LMTokenizer(ggufPath: lmPath))
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}
