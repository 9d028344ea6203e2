import CLIP
import Foundation
import Imaging
import LLaVA
import LanguageModel
import Testing
import Tokenizers

/// The tiny random LLaVA checkpoints of scripts/fixtures/make_tiny_llava_fixtures.py, run from the
/// picture file to the logits, against transformers: every vision configuration, both backbones,
/// both distributions (HF folder with new and old tensor names; GGUF + mmproj).
@Suite("LLaVA fidelity")
struct LLaVAFidelityTests {
    static let forms: [(model: String, form: String)] = [
        ("llama-mlp2x-pad", "hf"), ("llama-mlp2x-pad", "hf-legacy-names"), ("llama-mlp2x-pad", "gguf"),
        ("qwen2-linear", "hf"), ("qwen2-linear", "gguf"),
        ("qwen2-full-hf", "hf"),
    ]

    static func load(_ model: String, _ form: String) throws -> LoadedLLaVA {
        form == "gguf" ? try .gguf(model) : try .huggingFace("\(model)/\(form)")
    }

    @Test("logits within 1e-3 of transformers and the same greedy continuation", arguments: forms)
    func matchesTransformers(model: String, form: String) throws {
        let reference = try LLaVAFixtures.reference(model)
        let llava = try Self.load(model, form)
        let image = try llava.encoder.embed(try LLaVAFixtures.image())
        #expect(image.rows == reference.image_rows)
        try check(llava, image: image, reference: reference, logits: reference.logits_after_image, greedy: reference.greedy_ids)
    }

    @Test("2x2 pooled image rows match the same pooling in PyTorch", arguments: forms)
    func pooledMatchesTransformers(model: String, form: String) throws {
        let reference = try LLaVAFixtures.reference(model)
        let llava = try Self.load(model, form)
        let reduction = try ImageTokenReduction(factor: reference.pool)
        let image = try llava.encoder.embed(try LLaVAFixtures.image(), reduction: reduction)
        #expect(image.rows == reference.pooled_image_rows)
        #expect(llava.encoder.imageRows(reduction: reduction) == reference.pooled_image_rows)
        try check(llava, image: image, reference: reference, logits: reference.pooled_logits_after_image, greedy: reference.pooled_greedy_ids)
    }

    @Test("preprocessing (pad to square, resize, crop, normalise) matches transformers' pixels", arguments: forms)
    func preprocessing(model: String, form: String) throws {
        let reference = try LLaVAFixtures.reference(model)
        let encoder = try Self.load(model, form).encoder
        var pixels = [Float](repeating: 0, count: encoder.tower.pixelsPerImage)
        try pixels.withUnsafeMutableBufferPointer { try encoder.preprocessor.process(try LLaVAFixtures.image(), into: $0.baseAddress!) }
        let sum = pixels.reduce(0.0) { $0 + Double($1) }, absSum = pixels.reduce(0.0) { $0 + abs(Double($1)) }
        #expect(abs(sum - reference.pixel_sum) < 1e-3 * max(1, abs(reference.pixel_sum)))
        #expect(abs(absSum - reference.pixel_abs_sum) < 1e-3 * reference.pixel_abs_sum)
    }

    private func check(_ llava: LoadedLLaVA, image: ImageEmbedding, reference: LLaVAReference, logits: [[Float]], greedy: [Int32]) throws {
        let prompt = try ImagePrompt(text: reference.prompt, image: image, tokenizer: llava.tokenizer)
        #expect(prompt.textTokens == reference.ids_before_image + reference.ids_after_image)
        let lm = llava.languageModel
        lm.reset()
        let rows = try lm.prefillAllLogits(prompt.inputs)
        let firstText = reference.ids_before_image.count + image.rows
        for (offset, expected) in zip(reference.logit_offsets, logits) {
            let error = maxAbsDifference(rows[firstText + offset], expected)
            #expect(error <= 1e-3, "logits at text position \(offset) after the image differ by \(error)")
        }
        lm.reset()
        #expect(try lm.greedy(prompt: prompt.inputs, maxNewTokens: greedy.count) == greedy)
    }
}
