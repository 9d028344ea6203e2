import Kernels
public import ModelFiles
import Foundation

/// What a vision forward pass returns.
public struct VisionOutput: Sendable {
    /// [images, tokens, hidden] after the last layer computed (before the post-LayerNorm).
    public var lastHiddenState: [Float]
    /// [images, hidden]: the class token after the post-LayerNorm (empty when the encoder has none).
    public var pooled: [Float]
    /// When requested: the encoder input (after the pre-LayerNorm) and every layer's output, each [images, tokens, hidden].
    public var hiddenStates: [[Float]]
}

/// CLIP's vision transformer: patch embedding, class token and positions,
/// pre-LayerNorm, the encoder blocks, and the post-LayerNorm on the class token.
public final class CLIPVisionEncoder: @unchecked Sendable {
    public let configuration: CLIPVisionConfiguration
    let classEmbedding: FloatTensor
    /// The patch convolution as a Linear layer over im2col rows ([hidden, channels·patch²], no bias).
    let patchEmbedding: Linear
    let positions: FloatTensor
    let preNorm: LayerNorm
    let layers: [EncoderLayer]
    /// Absent in encoders exported for LLaVA, which never use the pooled output.
    let postNorm: LayerNorm?
    /// One forward pass at a time: the scratch memory is shared.
    private let lock = NSLock()
    private let scratch: Workspace

    /// Loads `prefix.embeddings.*`, `prefix.pre_layrnorm`, `prefix.encoder.layers.N` and, when
    /// `postNorm` is set, `prefix.post_layernorm` (transformers' names; `weights` may translate them).
    public init(
        _ weights: WeightReader, configuration c: CLIPVisionConfiguration, prefix: String = "vision_model", postNorm: Bool = true
    ) throws(CLIPError) {
        configuration = c
        let d = c.hiddenSize
        classEmbedding = try weights.tensor(prefix + ".embeddings.class_embedding", [d])
        let patchFeatures = c.numChannels * c.patchSize * c.patchSize
        let patchWeight = try weights.tensor(prefix + ".embeddings.patch_embedding.weight", [d, c.numChannels, c.patchSize, c.patchSize])
        patchEmbedding = Linear(
            weight: FloatTensor(pointer: patchWeight.pointer, shape: [d, patchFeatures], owner: patchWeight.owner),
            bias: nil, precision: weights.precision)
        positions = try weights.tensor(prefix + ".embeddings.position_embedding.weight", [c.tokens, d])
        preNorm = try weights.layerNorm(prefix + ".pre_layrnorm", dimension: d, epsilon: c.layerNormEps)
        layers = try EncoderLayer.stack(
            weights, prefix: prefix, count: c.numHiddenLayers, hidden: d, intermediate: c.intermediateSize,
            heads: c.numAttentionHeads, activation: c.hiddenAct, epsilon: c.layerNormEps)
        self.postNorm = postNorm ? try weights.layerNorm(prefix + ".post_layernorm", dimension: d, epsilon: c.layerNormEps) : nil
        scratch = Workspace(dimension: d, intermediate: c.intermediateSize, extraPerRow: patchFeatures)
    }

    /// Floats per preprocessed image.
    public var pixelsPerImage: Int { 3 * configuration.imageSize * configuration.imageSize }

    /// Encodes a batch of preprocessed images ([images, 3, size, size], channels first).
    /// - Parameters:
    ///   - layerCount: run only the first N blocks (LLaVA takes a middle layer's features).
    ///   - keepHiddenStates: also return the encoder input and every block's output.
    public func encode(
        pixels: UnsafeBufferPointer<Float>, images: Int, layerCount: Int? = nil, keepHiddenStates: Bool = false
    ) throws(CLIPError) -> VisionOutput {
        let c = configuration
        guard images > 0, pixels.count == images * pixelsPerImage else {
            throw .invalidInput("expected \(images) preprocessed \(c.imageSize)x\(c.imageSize) images (\(images * pixelsPerImage) floats), got \(pixels.count)")
        }
        let depth = layerCount ?? layers.count
        guard (0...layers.count).contains(depth) else {
            throw .invalidInput("layer count \(depth) is outside 0...\(layers.count)")
        }
        lock.lock()
        defer { lock.unlock() }
        do {
            let d = c.hiddenSize, tokens = c.tokens, patches = tokens - 1, rows = images * tokens
            let patchFeatures = c.numChannels * c.patchSize * c.patchSize
            scratch.reserve(rows: rows, tokens: tokens)
            let hidden = scratch.hidden
            // Patch embedding: im2col, then one GEMM for every patch of every image.
            for i in 0..<images {
                extractPatches(
                    pixels.baseAddress! + i * pixelsPerImage, channels: c.numChannels,
                    height: c.imageSize, width: c.imageSize, patch: c.patchSize,
                    into: scratch.extra + i * patches * patchFeatures)
            }
            patchEmbedding(scratch.extra, rows: images * patches, into: scratch.normed)
            for i in 0..<images {
                let base = hidden + i * tokens * d
                for k in 0..<d { base[k] = classEmbedding.pointer[k] + positions.pointer[k] }
                for p in 0..<patches {
                    let row = base + (p + 1) * d, source = scratch.normed + (i * patches + p) * d
                    let position = positions.pointer + (p + 1) * d
                    for k in 0..<d { row[k] = source[k] + position[k] }
                }
            }
            preNorm(hidden, rows: rows, into: hidden)
            var states: [[Float]] = []
            if keepHiddenStates { states.append(Array(UnsafeBufferPointer(start: hidden, count: rows * d))) }
            for layer in layers.prefix(depth) {
                layer(hidden, sequences: images, tokens: tokens, causal: false, keyValid: nil, scratch: scratch)
                if keepHiddenStates { states.append(Array(UnsafeBufferPointer(start: hidden, count: rows * d))) }
            }
            var pooled = [Float](repeating: 0, count: postNorm == nil ? 0 : images * d)
            if let postNorm {
                pooled.withUnsafeMutableBufferPointer { out in
                    for i in 0..<images { postNorm(hidden + i * tokens * d, rows: 1, into: out.baseAddress! + i * d) }
                }
            }
            return VisionOutput(
                lastHiddenState: Array(UnsafeBufferPointer(start: hidden, count: rows * d)),
                pooled: pooled, hiddenStates: states)
        }
    }
}
