public import Capture
import Foundation
public import Imaging
public import Tokenizers

/// Zero-shot scoring: the probability of each label for an image, CLIP style.
///
/// Each label is embedded through several prompt templates ("a photo of a
/// {}.", ...) whose normalised text embeddings are averaged and normalised
/// again (prompt ensembling, as in OpenAI's CLIP evaluation). The label
/// embeddings of a label set are computed once and cached, so scoring a
/// stream of frames against the same vocabulary costs one image encode each.
public final class ZeroShotClassifier: @unchecked Sendable {
    /// A few of OpenAI's ImageNet templates that suit camera frames.
    public static let defaultTemplates = [
        "a photo of a {}.",
        "a photo of the {}.",
        "a blurry photo of a {}.",
        "a close-up photo of a {}.",
        "a photo of a small {}.",
        "a photo of a large {}.",
    ]

    public let model: CLIPModel
    public let tokenizer: any Tokenizer
    public let templates: [String]
    private let lock = NSLock()
    private var cache: [[String]: [[Float]]] = [:]
    private var cacheOrder: [[String]] = []
    /// Label sets kept; a robot uses a handful (scene vocabulary, a few targets).
    private let cacheLimit = 32

    public init(model: CLIPModel, tokenizer: any Tokenizer, templates: [String] = defaultTemplates) throws(CLIPError) {
        guard !templates.isEmpty, templates.allSatisfy({ $0.contains("{}") }) else {
            throw .invalidInput("every prompt template needs a {} where the label goes")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.templates = templates
    }

    /// Ensembled, normalised embeddings of `labels`, from the cache when this set was seen before.
    public func labelEmbeddings(_ labels: [String]) throws(CLIPError) -> [[Float]] {
        guard !labels.isEmpty else { throw .invalidInput("no labels to score") }
        if let empty = labels.first(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw .invalidInput("label '\(empty)' is empty")
        }
        lock.lock()
        if let cached = cache[labels] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        var prompts: [[Int32]] = []
        for label in labels {
            for template in templates {
                do {
                    prompts.append(try tokenizer.encode(template.replacingOccurrences(of: "{}", with: label)))
                } catch {
                    throw .tokenizer("\(error)")
                }
            }
        }
        let embedded = try model.textEmbeddings(prompts)
        let perLabel = templates.count
        let result = labels.indices.map { i in
            var sum = [Float](repeating: 0, count: embedded[0].count)
            for prompt in embedded[(i * perLabel)..<((i + 1) * perLabel)] {
                for k in sum.indices { sum[k] += prompt[k] }
            }
            return normalized(sum)
        }
        lock.lock()
        if cache[labels] == nil {
            cache[labels] = result
            cacheOrder.append(labels)
            if cacheOrder.count > cacheLimit { cache[cacheOrder.removeFirst()] = nil }
        }
        lock.unlock()
        return result
    }

    /// Per-label probabilities (softmax over the labels of the scaled cosine similarities).
    public func classify(_ image: RGBImage, labels: [String]) throws(CLIPError) -> [(label: String, probability: Float)] {
        let labelEmbeddings = try labelEmbeddings(labels)
        let imageEmbedding = try model.imageEmbeddings([image])
        let probabilities = softmax(model.logits(images: imageEmbedding, texts: labelEmbeddings)[0])
        return Array(zip(labels, probabilities))
    }

    /// Scores a camera frame. A JPEG frame is decoded at the smallest DCT scale
    /// that still covers the model's input, never at full resolution when a
    /// quarter would do.
    public func classify(frame: Frame, labels: [String], decoder: JPEGDecoder? = nil) throws(CLIPError) -> [(label: String, probability: Float)] {
        try classify(try model.image(from: frame, decoder: decoder), labels: labels)
    }
}

extension CLIPModel {
    /// The frame as an RGB image, decoded no larger than preprocessing needs.
    public func image(from frame: Frame, decoder: JPEGDecoder? = nil) throws(CLIPError) -> RGBImage {
        let edge = preprocessor.configuration.shortestEdge
        let scale = JPEGScale.largest(reducing: frame.width, frame.height, toAtLeast: edge)
        do {
            return try frame.rgb(scale: scale, decoder: decoder)
        } catch {
            throw .invalidInput("frame \(frame.seq) from \(frame.sourceID): \(error)")
        }
    }

    /// The tokenizer in the checkpoint folder (tokenizer.json, or vocab.json + merges.txt),
    /// truncating to the model's context length.
    public func loadTokenizer() throws(CLIPError) -> CLIPTokenizer {
        let length = min(CLIPTokenizer.defaultContextLength, configuration.text.maxPositionEmbeddings)
        do {
            return try CLIPTokenizer(directory: directory, contextLength: length)
        } catch {
            throw .tokenizer(error.description)
        }
    }
}
