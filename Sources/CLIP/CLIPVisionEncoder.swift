import Kernels
import ModelFiles
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
    /// The scratch memory of the last finished `VisionPass`, for the next one.
    private var freePassScratch: Workspace?

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
        let depth = try checked(pixels: pixels, images: images, layerCount: layerCount)
        lock.lock()
        defer { lock.unlock() }
        let rows = images * configuration.tokens, d = configuration.hiddenSize
        embed(pixels.baseAddress!, images: images, scratch: scratch)
        var states: [[Float]] = []
        if keepHiddenStates { states.append(Array(UnsafeBufferPointer(start: scratch.hidden, count: rows * d))) }
        for layer in 0..<depth {
            runLayer(layer, images: images, scratch: scratch)
            if keepHiddenStates { states.append(Array(UnsafeBufferPointer(start: scratch.hidden, count: rows * d))) }
        }
        var output = finish(images: images, scratch: scratch)
        output.hiddenStates = states
        return output
    }

    /// One image's forward pass as steps (the embeddings, then one block per step), for a
    /// scheduler that must run other work between them: a LLaVA tower is about a second of
    /// arithmetic that would otherwise be one uninterruptible piece. The pass has its own
    /// scratch memory, so it may run while `encode` serves other calls.
    public func pass(pixels: [Float], layerCount: Int? = nil) throws(CLIPError) -> VisionPass {
        let depth = try pixels.withUnsafeBufferPointer { (buffer) throws(CLIPError) in
            try checked(pixels: buffer, images: 1, layerCount: layerCount)
        }
        return VisionPass(encoder: self, pixels: pixels, depth: depth)
    }

    /// Validates the input; returns the number of blocks to run.
    private func checked(pixels: UnsafeBufferPointer<Float>, images: Int, layerCount: Int?) throws(CLIPError) -> Int {
        let c = configuration
        guard images > 0, pixels.count == images * pixelsPerImage else {
            throw .invalidInput("expected \(images) preprocessed \(c.imageSize)x\(c.imageSize) images (\(images * pixelsPerImage) floats), got \(pixels.count)")
        }
        let depth = layerCount ?? layers.count
        guard (0...layers.count).contains(depth) else {
            throw .invalidInput("layer count \(depth) is outside 0...\(layers.count)")
        }
        return depth
    }

    /// Patch embedding (im2col, then one GEMM for every patch of every image), class token,
    /// positions and the pre-LayerNorm, into `scratch.hidden`.
    func embed(_ pixels: UnsafePointer<Float>, images: Int, scratch: Workspace) {
        let c = configuration
        let d = c.hiddenSize, tokens = c.tokens, patches = tokens - 1, rows = images * tokens
        let patchFeatures = c.numChannels * c.patchSize * c.patchSize
        scratch.reserve(rows: rows, tokens: tokens)
        let hidden = scratch.hidden
        for i in 0..<images {
            extractPatches(
                pixels + i * pixelsPerImage, channels: c.numChannels,
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
    }

    func runLayer(_ index: Int, images: Int, scratch: Workspace) {
        layers[index](scratch.hidden, sequences: images, tokens: configuration.tokens, causal: false, keyValid: nil, scratch: scratch)
    }

    /// The last hidden state and the pooled class tokens (no hidden states).
    func finish(images: Int, scratch: Workspace) -> VisionOutput {
        let d = configuration.hiddenSize, tokens = configuration.tokens, hidden = scratch.hidden
        var pooled = [Float](repeating: 0, count: postNorm == nil ? 0 : images * d)
        if let postNorm {
            pooled.withUnsafeMutableBufferPointer { out in
                for i in 0..<images { postNorm(hidden + i * tokens * d, rows: 1, into: out.baseAddress! + i * d) }
            }
        }
        return VisionOutput(
            lastHiddenState: Array(UnsafeBufferPointer(start: hidden, count: images * tokens * d)),
            pooled: pooled, hiddenStates: [])
    }

    /// A workspace for passes, reused while no other pass holds it.
    fileprivate func takePassScratch() -> Workspace {
        lock.withLock {
            if let free = freePassScratch {
                freePassScratch = nil
                return free
            }
            return Workspace(dimension: configuration.hiddenSize, intermediate: configuration.intermediateSize,
                             extraPerRow: configuration.numChannels * configuration.patchSize * configuration.patchSize)
        }
    }

    fileprivate func returnPassScratch(_ workspace: Workspace) { lock.withLock { freePassScratch = workspace } }
}

/// One image through a `CLIPVisionEncoder`, a step at a time: `step()` until `isFinished`,
/// then `output`. The result equals `encode(pixels:images: 1, layerCount:)`'s exactly (the
/// same arithmetic in the same order). Not thread-safe: drive it from one thread at a time.
public final class VisionPass: @unchecked Sendable {
    private let encoder: CLIPVisionEncoder
    private let pixels: [Float]
    private let scratch: Workspace
    /// Blocks to run; `stepsDone` counts the embedding step too.
    public let depth: Int
    public private(set) var stepsDone = 0

    fileprivate init(encoder: CLIPVisionEncoder, pixels: [Float], depth: Int) {
        self.encoder = encoder
        self.pixels = pixels
        self.depth = depth
        scratch = encoder.takePassScratch()
    }

    deinit { encoder.returnPassScratch(scratch) }

    /// The embeddings, then one block per step.
    public var stepCount: Int { depth + 1 }
    public var isFinished: Bool { stepsDone == stepCount }

    /// Runs the next step; does nothing once finished.
    public func step() {
        guard !isFinished else { return }
        if stepsDone == 0 {
            pixels.withUnsafeBufferPointer { encoder.embed($0.baseAddress!, images: 1, scratch: scratch) }
        } else {
            encoder.runLayer(stepsDone - 1, images: 1, scratch: scratch)
        }
        stepsDone += 1
    }

    /// The pass's result; runs whatever steps remain first.
    public var output: VisionOutput {
        while !isFinished { step() }
        return encoder.finish(images: 1, scratch: scratch)
    }
}
