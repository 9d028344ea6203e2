@testable import CLIP
import Foundation
import Imaging
import Kernels
import TestSupport
import Testing

/// The CLIP engine against transformers' outputs on tiny random checkpoints
/// (scripts/fixtures/make_clip_fixtures.py wrote the checkpoints and references).
@Suite struct CLIPFidelityTests {
    static let root = RepositoryPaths.fixtures.appendingPathComponent("clip")

    struct Tensor: Decodable {
        var shape: [Int]
        var data: [Float]
    }

    struct Reference: Decodable {
        struct Image: Decodable {
            var file: String
            var resized_width: Int
            var resized_height: Int
            var resized_uint8_hwc: Tensor
            var pixel_values: Tensor
        }
        struct Text: Decodable {
            var text: String?
            var input_ids: [Int32]
            var attention_mask: [Int32]
            var pooled_index: Int
        }
        struct Vision: Decodable {
            struct First: Decodable {
                var last_hidden_state: Tensor
                var hidden_states: [Tensor]
            }
            var first_image: First
            var pooler_output: Tensor
            var image_features: Tensor
            var image_embeds: Tensor
        }
        struct TextOut: Decodable {
            var last_hidden_state_index: Int
            var last_hidden_state: Tensor
            var pooler_output: Tensor
            var text_features: Tensor
            var text_embeds: Tensor
        }
        var images: [Image]
        var texts: [Text]
        var vision: Vision
        var text: TextOut
        var logits_per_image: Tensor
        var probs_per_image: Tensor
    }

    static func load(_ name: String) throws -> (CLIPModel, Reference) {
        let dir = root.appendingPathComponent(name)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: dir.appendingPathComponent("reference.json")))
        return (try CLIPModel(directory: dir.path), reference)
    }

    func expectClose(_ got: [Float], _ want: Tensor, absolute: Float, _ label: String) {
        #expect(got.count == want.data.count, "\(label): \(got.count) values, expected \(want.data.count)")
        var worst: Float = 0
        for (g, w) in zip(got, want.data) { worst = max(worst, abs(g - w)) }
        #expect(worst <= absolute, "\(label): max abs error \(worst) > \(absolute)")
    }

    static let checkpoints = ["tiny_a", "tiny_b_f16", "tiny_c_bf16"]

    @Test(arguments: checkpoints)
    func preprocessingMatchesCLIPImageProcessor(_ name: String) throws {
        let (model, reference) = try Self.load(name)
        for image in reference.images {
            let bytes = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("\(name)/\(image.file)")))
            let rgb = try PNGCodec.decode(bytes)
            let resized = try PillowBicubic.resize(rgb, width: image.resized_width, height: image.resized_height)
            let wrong = zip(resized.pixels.map(Float.init), image.resized_uint8_hwc.data).filter { $0 != $1 }.count
            #expect(wrong == 0, "\(name)/\(image.file) resize: \(wrong) values differ")
            expectClose(try model.preprocessor.process(rgb), image.pixel_values, absolute: 1e-6, "\(name)/\(image.file) pixel_values")
        }
    }

    @Test(arguments: checkpoints)
    func visionTowerMatchesTransformers(_ name: String) throws {
        let (model, reference) = try Self.load(name)
        let pixels = reference.images.flatMap(\.pixel_values.data)
        let images = reference.images.count
        let output = try pixels.withUnsafeBufferPointer { try model.vision.encode(pixels: $0, images: images) }
        expectClose(output.pooled, reference.vision.pooler_output, absolute: 1e-4, "\(name) pooler_output")
        let first = try reference.images[0].pixel_values.data.withUnsafeBufferPointer {
            try model.vision.encode(pixels: $0, images: 1, keepHiddenStates: true)
        }
        expectClose(first.lastHiddenState, reference.vision.first_image.last_hidden_state, absolute: 1e-4, "\(name) last_hidden_state")
        #expect(first.hiddenStates.count == reference.vision.first_image.hidden_states.count)
        for (k, (got, want)) in zip(first.hiddenStates, reference.vision.first_image.hidden_states).enumerated() {
            expectClose(got, want, absolute: 1e-4, "\(name) hidden_states[\(k)]")
        }
        let embeds = try model.imageEmbeddings(pixels: pixels, images: images)
        expectClose(embeds.flatMap { $0 }, reference.vision.image_embeds, absolute: 1e-4, "\(name) image_embeds")
    }

    /// A pass a block at a time gives `encode`'s result exactly, at every depth, also when
    /// `encode` runs for another image between its steps (the pass has its own scratch).
    @Test(arguments: checkpoints)
    func steppedPassEqualsEncode(_ name: String) throws {
        let (model, reference) = try Self.load(name)
        let first = reference.images[0].pixel_values.data, second = reference.images[1].pixel_values.data
        for depth in [nil, 1] as [Int?] {
            let whole = try first.withUnsafeBufferPointer { try model.vision.encode(pixels: $0, images: 1, layerCount: depth) }
            let pass = try model.vision.pass(pixels: first, layerCount: depth)
            #expect(pass.stepCount == (depth ?? model.configuration.vision.numHiddenLayers) + 1)
            var steps = 0
            while !pass.isFinished {
                pass.step()
                steps += 1
                _ = try second.withUnsafeBufferPointer { try model.vision.encode(pixels: $0, images: 1) }
            }
            #expect(steps == pass.stepCount)
            let stepped = pass.output
            #expect(stepped.lastHiddenState == whole.lastHiddenState, "\(name) depth \(depth ?? -1): last hidden state")
            #expect(stepped.pooled == whole.pooled, "\(name) depth \(depth ?? -1): pooled")
        }
    }

    @Test(arguments: checkpoints)
    func textTowerMatchesTransformers(_ name: String) throws {
        let (model, reference) = try Self.load(name)
        let ids = reference.texts.map(\.input_ids), masks = reference.texts.map(\.attention_mask)
        for text in reference.texts {
            #expect(model.text.poolIndex(text.input_ids) == text.pooled_index, "\(name) pooling for '\(text.text ?? "ids only")'")
        }
        let output = try model.text.encode(ids, attentionMasks: masks)
        expectClose(output.pooled, reference.text.pooler_output, absolute: 1e-4, "\(name) text pooler_output")
        let index = reference.text.last_hidden_state_index
        let per = output.tokens * model.configuration.text.hiddenSize
        expectClose(Array(output.lastHiddenState[(index * per)..<((index + 1) * per)]), reference.text.last_hidden_state,
                    absolute: 1e-4, "\(name) text last_hidden_state")
        let embeds = try model.textEmbeddings(ids, attentionMasks: masks)
        expectClose(embeds.flatMap { $0 }, reference.text.text_embeds, absolute: 1e-4, "\(name) text_embeds")
    }

    @Test(arguments: checkpoints)
    func logitsAndProbabilitiesMatch(_ name: String) throws {
        let (model, reference) = try Self.load(name)
        let images = try reference.images.map { image in
            try PNGCodec.decode([UInt8](Data(contentsOf: Self.root.appendingPathComponent("\(name)/\(image.file)"))))
        }
        let imageEmbeds = try model.imageEmbeddings(images)
        let textEmbeds = try model.textEmbeddings(reference.texts.map(\.input_ids), attentionMasks: reference.texts.map(\.attention_mask))
        let logits = model.logits(images: imageEmbeds, texts: textEmbeds)
        for (got, want) in zip(logits.flatMap { $0 }, reference.logits_per_image.data) {
            #expect(abs(got - want) <= 1e-3 * max(1, abs(want)), "\(name) logit \(got) vs \(want)")
        }
        expectClose(logits.flatMap { softmax($0) }, reference.probs_per_image, absolute: 1e-4, "\(name) probs")
    }

    @Test func configWhoseShapesDisagreeWithTheWeightsIsAClearError() throws {
        let source = Self.root.appendingPathComponent("tiny_a")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("clip-bad-\(UUID())")
        try FileManager.default.copyItem(at: source, to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: copy.appendingPathComponent("config.json"))) as! [String: Any]
        var vision = config["vision_config"] as! [String: Any]
        vision["intermediate_size"] = 48
        config["vision_config"] = vision
        try JSONSerialization.data(withJSONObject: config).write(to: copy.appendingPathComponent("config.json"))
        #expect { try CLIPModel(directory: copy.path) } throws: { error in
            let text = "\(error)"
            return text.contains("vision_model.encoder.layers.0.mlp.fc1.weight") && text.contains("[48, 32]")
        }
        vision["hidden_act"] = "swish"
        vision["intermediate_size"] = 64
        config["vision_config"] = vision
        try JSONSerialization.data(withJSONObject: config).write(to: copy.appendingPathComponent("config.json"))
        #expect { try CLIPModel(directory: copy.path) } throws: { "\($0)".contains("config.json") }
        vision["hidden_act"] = "quick_gelu"
        config["vision_config"] = vision
        try JSONSerialization.data(withJSONObject: config).write(to: copy.appendingPathComponent("config.json"))
        try FileManager.default.removeItem(at: copy.appendingPathComponent("model.safetensors"))
        #expect { try CLIPModel(directory: copy.path) } throws: { "\($0)".contains("model.safetensors") }
    }

    @Test func badImagesAreClearErrors() throws {
        let (model, _) = try Self.load("tiny_a")
        let tiny = try RGBImage(width: 1, height: 1, pixels: [1, 2, 3])
        #expect(throws: CLIPError.self) { try model.imageEmbeddings([tiny]) }
        let odd = try SyntheticScene.make(width: 3, height: 97, seed: 1)
        #expect(try model.imageEmbeddings([odd]).first?.count == model.configuration.projectionDim)
        #expect(throws: CLIPError.self) { try model.textEmbeddings([[]]) }
        #expect(throws: CLIPError.self) { try model.textEmbeddings([[Int32](repeating: 5, count: 100)]) }
        #expect(throws: CLIPError.self) { try model.textEmbeddings([[1, 99999]]) }
    }
}

/// The opt-in bf16 arithmetic against transformers' fp32 outputs: close, not exact.
@Suite(.enabled(if: BF16Weight.isSupported, "needs AVX512_BF16"))
struct CLIPBF16Tests {
    @Test(arguments: CLIPFidelityTests.checkpoints)
    func bf16EmbeddingsStayCloseToTransformers(_ name: String) throws {
        let (_, reference) = try CLIPFidelityTests.load(name)
        let model = try CLIPModel(directory: CLIPFidelityTests.root.appendingPathComponent(name).path, precision: .bf16)
        #expect(model.precision == .bf16)
        let pixels = reference.images.flatMap(\.pixel_values.data)
        let images = try model.imageEmbeddings(pixels: pixels, images: reference.images.count)
        let texts = try model.textEmbeddings(reference.texts.map(\.input_ids), attentionMasks: reference.texts.map(\.attention_mask))
        for (got, want) in [(images, reference.vision.image_embeds), (texts, reference.text.text_embeds)] {
            let width = want.shape[1]
            for (i, row) in got.enumerated() {
                let expected = Array(want.data[(i * width)..<((i + 1) * width)])
                let cosine = zip(row, expected).map { $0 * $1 }.reduce(0, +)  // both unit length
                #expect(cosine > 0.999, "\(name) row \(i): cosine \(cosine)")
            }
        }
    }
}
