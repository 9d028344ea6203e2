import CLIP
import Foundation
import Imaging
import TestSupport
import Testing
import Tokenizers

/// The committed demo CLIP (Models/demo-clip: F16 weights, OpenAI's full 49408-token BPE)
/// against transformers' outputs on it (scripts/demo/make_demo_clip_references.py wrote
/// Tests/Fixtures/demo/clip_reference.json from the committed test scenes).
enum DemoCLIPFiles {
    static let model = RepositoryPaths.root.appendingPathComponent("Models/demo-clip")
    static let fixture = RepositoryPaths.fixtures.appendingPathComponent("demo")
    static var modelPresent: Bool { FileManager.default.fileExists(atPath: model.appendingPathComponent("model.safetensors").path) }
}

@Suite(.enabled(if: DemoCLIPFiles.modelPresent, "needs Models/demo-clip"))
struct DemoCLIPFidelityTests {
    static let model = DemoCLIPFiles.model
    static let fixture = DemoCLIPFiles.fixture

    struct Tensor: Decodable { var shape: [Int]; var data: [Float] }
    struct Reference: Decodable {
        struct Image: Decodable { var file: String; var pixel_values: Tensor }
        struct Text: Decodable { var text: String; var input_ids: [Int32] }
        var images: [Image]
        var texts: [Text]
        var image_embeds: Tensor
        var text_embeds: Tensor
        var logits_per_image: Tensor
    }

    static func load() throws -> (CLIPModel, Reference) {
        let data = try Data(contentsOf: fixture.appendingPathComponent("clip_reference.json"))
        return (try CLIPModel(directory: model.path), try JSONDecoder().decode(Reference.self, from: data))
    }

    func maxError(_ got: [Float], _ want: [Float]) -> Float {
        #expect(got.count == want.count)
        return zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test func checkpointIsSmallAndHalfPrecision() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.model.path)
        let bytes = try files.map { try FileManager.default.attributesOfItem(atPath: Self.model.appendingPathComponent($0).path)[.size] as! Int }
        #expect(bytes.reduce(0, +) <= 10_000_000, "Models/demo-clip is \(bytes.reduce(0, +)) bytes")
        let (clip, _) = try Self.load()
        #expect(clip.configuration.text.vocabSize == 49408)
    }

    @Test func tokenizerMatchesTransformers() throws {
        let (clip, reference) = try Self.load()
        let tokenizer = try clip.loadTokenizer()
        #expect(tokenizer.vocabularySize == 49408)
        for text in reference.texts {
            #expect(tokenizer.encode(text.text) == text.input_ids, "'\(text.text)'")
        }
    }

    @Test func embeddingsAndLogitsMatchTransformers() throws {
        let (clip, reference) = try Self.load()
        let images = try reference.images.map { try ImageFile.read(Self.fixture.appendingPathComponent("scenes/\($0.file)").path) }
        let pixels = try clip.preprocess(images)
        #expect(maxError(pixels, reference.images.flatMap(\.pixel_values.data)) <= 1e-6, "pixel_values")
        let imageEmbeds = try clip.imageEmbeddings(pixels: pixels, images: images.count)
        #expect(maxError(imageEmbeds.flatMap { $0 }, reference.image_embeds.data) <= 1e-4, "image_embeds")
        let textEmbeds = try clip.textEmbeddings(reference.texts.map(\.input_ids))
        #expect(maxError(textEmbeds.flatMap { $0 }, reference.text_embeds.data) <= 1e-4, "text_embeds")
        let logits = clip.logits(images: imageEmbeds, texts: textEmbeds).flatMap { $0 }
        for (got, want) in zip(logits, reference.logits_per_image.data) {
            #expect(abs(got - want) <= 1e-3 * max(1, abs(want)), "logit \(got) vs \(want)")
        }
    }
}
