@testable import CLIP
import Capture
import Foundation
import Imaging
import Testing
import Tokenizers

@Suite struct ZeroShotTests {
    static let root = CLIPFidelityTests.root

    /// With the bare template "{}", label embeddings are the checkpoint's text
    /// embeddings, so scores can be checked against transformers' logits.
    @Test func scoresMatchTransformersLogitsWithABareTemplate() throws {
        let (model, reference) = try CLIPFidelityTests.load("tiny_a")
        let classifier = try ZeroShotClassifier(model: model, tokenizer: try model.loadTokenizer(), templates: ["{}"])
        let labels = reference.texts.compactMap(\.text)
        let image = try PNGCodec.decode([UInt8](Data(contentsOf: Self.root.appendingPathComponent("tiny_a/image0.png"))))
        let scores = try classifier.classify(image, labels: labels)
        let row = Array(reference.logits_per_image.data.prefix(reference.texts.count).prefix(labels.count))
        let m = row.max()!, e = row.map { Foundation.exp(Double($0 - m)) }, s = e.reduce(0, +)
        #expect(scores.map(\.label) == labels)
        for (score, want) in zip(scores, e.map { $0 / s }) { #expect(abs(Double(score.probability) - want) < 1e-4) }
    }

    @Test func ensemblesTemplatesAndCachesPerLabelSet() throws {
        let (model, _) = try CLIPFidelityTests.load("tiny_b_f16")
        let tokenizer = try model.loadTokenizer()
        let templates = ["a photo of a {}.", "a blurry photo of a {}."]
        let counting = CountingTokenizer(base: tokenizer)
        let classifier = try ZeroShotClassifier(model: model, tokenizer: counting, templates: templates)
        let labels = ["cat", "dog", "red box"]
        let embeddings = try classifier.labelEmbeddings(labels)
        // The ensemble is the normalised mean of each template's normalised embedding.
        let single = try model.textEmbeddings(labels.flatMap { label in templates.map { tokenizer.encode($0.replacingOccurrences(of: "{}", with: label)) } })
        for (i, embedding) in embeddings.enumerated() {
            let mean = normalized(zip(single[2 * i], single[2 * i + 1]).map { $0 + $1 })
            #expect(zip(embedding, mean).allSatisfy { abs($0 - $1) < 1e-6 })
        }
        #expect(counting.calls == labels.count * templates.count)
        for _ in 0..<5 { _ = try classifier.labelEmbeddings(labels) }
        #expect(counting.calls == labels.count * templates.count, "a cached label set must not be encoded again")
        _ = try classifier.labelEmbeddings(["cat"])
        #expect(counting.calls == (labels.count + 1) * templates.count, "a new label set is encoded")
        let image = try SyntheticScene.make(width: 90, height: 60, seed: 3)
        let scores = try classifier.classify(image, labels: labels)
        #expect(abs(scores.map(\.probability).reduce(0, +) - 1) < 1e-5)
        #expect(throws: CLIPError.self) { try classifier.classify(image, labels: []) }
        #expect(throws: CLIPError.self) { try classifier.classify(image, labels: ["cat", " "]) }
        #expect(throws: CLIPError.self) { try ZeroShotClassifier(model: model, tokenizer: tokenizer, templates: ["no slot"]) }
    }

    @Test func framesAreDecodedAtAReducedScale() throws {
        let (model, _) = try CLIPFidelityTests.load("tiny_a")  // 32-pixel input
        let jpeg = try JPEGEncoder().encode(try SyntheticScene.make(width: 640, height: 480, seed: 1))
        let frame = Frame(pixels: .jpeg(jpeg), width: 640, height: 480, seq: 7,
                          capture: CaptureTime(monotonicNs: 1, realtimeNs: 2), sourceID: "test")
        let image = try model.image(from: frame)
        #expect(image.width == 80 && image.height == 60)  // 1/8 still covers 32 pixels
        let classifier = try ZeroShotClassifier(model: model, tokenizer: try model.loadTokenizer())
        #expect(try classifier.classify(frame: frame, labels: ["cat", "dog"]).count == 2)
    }
}

/// Counts encode calls, to see what the classifier caches.
final class CountingTokenizer: Tokenizer, @unchecked Sendable {
    let base: any Tokenizer
    private let lock = NSLock()
    private var count = 0

    init(base: any Tokenizer) { self.base = base }

    var calls: Int { lock.withLock { count } }
    var vocabularySize: Int { base.vocabularySize }
    func decode(_ ids: [Int32]) -> String { base.decode(ids) }
    func encode(_ text: String) throws -> [Int32] {
        lock.withLock { count += 1 }
        return try base.encode(text)
    }
}
