import Foundation
public import Imaging
public import Kernels
public import ModelFiles

/// A CLIP checkpoint in Hugging Face layout: `config.json`,
/// `preprocessor_config.json` (optional: OpenAI's defaults otherwise) and
/// `model.safetensors` (or shards). The loader maps every checkpoint tensor
/// name to its layer here and in the encoders' initialisers, nowhere else.
public final class CLIPModel: Sendable {
    public let configuration: CLIPConfiguration
    public let preprocessor: CLIPImageProcessor
    public let vision: CLIPVisionEncoder
    public let text: CLIPTextEncoder
    let visualProjection: Linear
    let textProjection: Linear
    /// exp(logit_scale): the factor cosine similarities are multiplied by.
    public let logitScale: Float
    public let directory: String
    /// The arithmetic of the Linear layers (the patch embedding and attention stay fp32).
    public let precision: MatmulPrecision

    /// - Parameter precision: fp32 (the default) matches transformers to float tolerance;
    ///   `.bf16` trades that for about twice the speed on CPUs with AVX512_BF16 (fp32 elsewhere).
    public init(directory: String, precision: MatmulPrecision = .fp32) throws(CLIPError) {
        self.directory = directory
        self.precision = precision.effective
        let configPath = directory + "/config.json"
        configuration = try Self.decode(CLIPConfiguration.self, at: configPath)
        if let problem = configuration.validate() { throw .invalidConfiguration(path: configPath, reason: problem) }
        let preprocessorPath = directory + "/preprocessor_config.json"
        var preprocessing = CLIPPreprocessorConfiguration(imageSize: configuration.vision.imageSize)
        if FileManager.default.fileExists(atPath: preprocessorPath) {
            preprocessing = try Self.decode(CLIPPreprocessorConfiguration.self, at: preprocessorPath)
            if let problem = preprocessing.validate() { throw .invalidConfiguration(path: preprocessorPath, reason: problem) }
        }
        preprocessor = CLIPImageProcessor(configuration: preprocessing)
        guard preprocessor.outputWidth == configuration.vision.imageSize, preprocessor.outputHeight == configuration.vision.imageSize else {
            throw .invalidConfiguration(path: preprocessorPath, reason:
                "images are cropped to \(preprocessor.outputWidth)x\(preprocessor.outputHeight) but the model takes \(configuration.vision.imageSize)x\(configuration.vision.imageSize)")
        }
        let checkpoint: SafetensorsCheckpoint
        do { checkpoint = try SafetensorsCheckpoint(directory: directory) } catch { throw .weights(error) }
        let weights = WeightReader(checkpoint: checkpoint, precision: self.precision)
        vision = try CLIPVisionEncoder(weights, configuration: configuration.vision)
        text = try CLIPTextEncoder(weights, configuration: configuration.text)
        let p = configuration.projectionDim
        visualProjection = try weights.linear("visual_projection", in: configuration.vision.hiddenSize, out: p, bias: false)
        textProjection = try weights.linear("text_projection", in: configuration.text.hiddenSize, out: p, bias: false)
        logitScale = Float(Foundation.exp(Double(try weights.tensor("logit_scale", []).values[0])))
        guard logitScale.isFinite else {
            throw .invalidConfiguration(path: directory, reason: "logit_scale gives a non-finite factor \(logitScale) (corrupt weights?)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, at path: String) throws(CLIPError) -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidConfiguration(path: path, reason: "cannot read the file")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidConfiguration(path: path, reason: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalidConfiguration(path: path, reason: "\(key): \(context.debugDescription)")
        } catch {
            throw .invalidConfiguration(path: path, reason: "\(error)")
        }
    }

    // MARK: Embeddings

    /// Preprocesses images and returns their L2-normalised embeddings, [images][projection_dim].
    public func imageEmbeddings(_ images: [RGBImage]) throws(CLIPError) -> [[Float]] {
        let pixels = try preprocess(images)
        return try imageEmbeddings(pixels: pixels, images: images.count)
    }

    /// Preprocesses a batch into one buffer, [images, 3, size, size].
    public func preprocess(_ images: [RGBImage]) throws(CLIPError) -> [Float] {
        let per = vision.pixelsPerImage
        var pixels = [Float](repeating: 0, count: images.count * per)
        try pixels.withUnsafeMutableBufferPointer { (buffer) throws(CLIPError) in
            for (i, image) in images.enumerated() {
                guard image.width >= 2, image.height >= 2 else {
                    throw .invalidInput("a \(image.width)x\(image.height) image is too small to embed")
                }
                try preprocessor.process(image, into: buffer.baseAddress! + i * per)
            }
        }
        return pixels
    }

    /// Embeddings of already preprocessed images.
    public func imageEmbeddings(pixels: [Float], images: Int) throws(CLIPError) -> [[Float]] {
        try pixels.withUnsafeBufferPointer { (buffer) throws(CLIPError) in try imageEmbeddings(pixels: buffer, images: images) }
    }

    /// Embeddings of already preprocessed images in caller-owned memory (no copy of the batch).
    public func imageEmbeddings(pixels: UnsafeBufferPointer<Float>, images: Int) throws(CLIPError) -> [[Float]] {
        let output = try vision.encode(pixels: pixels, images: images)
        return try project(output.pooled, count: images, with: visualProjection)
    }

    /// Image embeddings and, for dense scoring, every patch token carried into the same joint
    /// space (the post-LayerNorm and the visual projection applied to each patch, as MaskCLIP
    /// does), both L2-normalised. `patches` is [images][patches per image * projection_dim].
    public func imageAndPatchEmbeddings(
        pixels: UnsafeBufferPointer<Float>, images: Int
    ) throws(CLIPError) -> (images: [[Float]], patches: [[Float]]) {
        // A CLIPModel's tower always has its post-LayerNorm (only LLaVA's towers stop before it).
        guard let postNorm = vision.postNorm else { throw .invalidInput("the vision tower has no post-LayerNorm") }
        let output = try vision.encode(pixels: pixels, images: images)
        let c = configuration.vision, d = c.hiddenSize, tokens = c.tokens, patchCount = tokens - 1
        var normed = [Float](repeating: 0, count: images * patchCount * d)
        output.lastHiddenState.withUnsafeBufferPointer { hidden in
            normed.withUnsafeMutableBufferPointer { out in
                for i in 0..<images {
                    postNorm(hidden.baseAddress! + (i * tokens + 1) * d, rows: patchCount, into: out.baseAddress! + i * patchCount * d)
                }
            }
        }
        let projected = try project(normed, count: images * patchCount, with: visualProjection)
        let patches = (0..<images).map { i in Array(projected[(i * patchCount)..<((i + 1) * patchCount)].joined()) }
        return (try project(output.pooled, count: images, with: visualProjection), patches)
    }

    /// L2-normalised text embeddings for token id sequences.
    public func textEmbeddings(_ ids: [[Int32]], attentionMasks: [[Int32]]? = nil) throws(CLIPError) -> [[Float]] {
        let output = try text.encode(ids, attentionMasks: attentionMasks)
        return try project(output.pooled, count: ids.count, with: textProjection)
    }

    /// logits_per_image[i][t] = exp(logit_scale) · cos(image i, text t), from normalised embeddings.
    public func logits(images: [[Float]], texts: [[Float]]) -> [[Float]] {
        images.map { image in
            texts.map { text in
                var dot: Float = 0
                for k in 0..<min(image.count, text.count) { dot += image[k] * text[k] }
                return logitScale * dot
            }
        }
    }

    /// Projects and normalises; a NaN or infinity (corrupt weights or a misread file) is an error
    /// rather than a score.
    private func project(_ pooled: [Float], count: Int, with projection: Linear) throws(CLIPError) -> [[Float]] {
        var projected = [Float](repeating: 0, count: count * projection.outFeatures)
        pooled.withUnsafeBufferPointer { input in
            projected.withUnsafeMutableBufferPointer { out in
                projection(input.baseAddress!, rows: count, into: out.baseAddress!)
            }
        }
        guard projected.allSatisfy(\.isFinite) else {
            throw .invalidInput("the model produced non-finite values (NaN or infinity); its weights in \(directory) are corrupt or misread")
        }
        let p = projection.outFeatures
        return (0..<count).map { i in normalized(Array(projected[(i * p)..<((i + 1) * p)])) }
    }
}

/// v / ||v|| (zero stays zero).
public func normalized(_ v: [Float]) -> [Float] {
    var sum: Double = 0
    for x in v { sum += Double(x) * Double(x) }
    let norm = Float(sum.squareRoot())
    return norm > 0 ? v.map { $0 / norm } : v
}

/// Row-wise softmax of logits.
public func softmax(_ row: [Float]) -> [Float] {
    let m = row.max() ?? 0
    let e = row.map { Foundation.exp(Double($0 - m)) }
    let s = e.reduce(0, +)
    return e.map { Float($0 / s) }
}

