import Kernels
public import ModelFiles
import Foundation

public struct TextOutput: Sendable {
    /// [texts, tokens, hidden] after the final LayerNorm (tokens = the longest text in the batch).
    public var lastHiddenState: [Float]
    /// [texts, hidden]: the state at each text's end token.
    public var pooled: [Float]
    public var tokens: Int
}

/// CLIP's text transformer: token and position embeddings, causal blocks,
/// final LayerNorm, pooling at the end-of-text token.
public final class CLIPTextEncoder: @unchecked Sendable {
    public let configuration: CLIPTextConfiguration
    let tokenEmbedding: FloatTensor
    let positions: FloatTensor
    let layers: [EncoderLayer]
    let finalNorm: LayerNorm
    /// One forward pass at a time: the scratch memory is shared.
    private let lock = NSLock()
    private let scratch: Workspace

    init(_ weights: WeightReader, configuration c: CLIPTextConfiguration, prefix: String = "text_model") throws(CLIPError) {
        configuration = c
        let d = c.hiddenSize
        tokenEmbedding = try weights.tensor(prefix + ".embeddings.token_embedding.weight", [c.vocabSize, d])
        positions = try weights.tensor(prefix + ".embeddings.position_embedding.weight", [c.maxPositionEmbeddings, d])
        layers = try EncoderLayer.stack(
            weights, prefix: prefix, count: c.numHiddenLayers, hidden: d, intermediate: c.intermediateSize,
            heads: c.numAttentionHeads, activation: c.hiddenAct, epsilon: c.layerNormEps)
        finalNorm = try weights.layerNorm(prefix + ".final_layer_norm", dimension: d, epsilon: c.layerNormEps)
        scratch = Workspace(dimension: d, intermediate: c.intermediateSize)
    }

    /// Encodes token id sequences (each with its start and end tokens). Shorter
    /// sequences are padded internally and their padding is masked out;
    /// `attentionMasks` (1 = real token) may mark extra padding, as transformers' attention_mask does.
    public func encode(_ ids: [[Int32]], attentionMasks: [[Int32]]? = nil) throws(CLIPError) -> TextOutput {
        let c = configuration
        guard !ids.isEmpty else { throw .invalidInput("no texts to encode") }
        let tokens = ids.map(\.count).max()!
        guard tokens > 0, ids.allSatisfy({ !$0.isEmpty }) else { throw .invalidInput("a text has no tokens") }
        guard tokens <= c.maxPositionEmbeddings else {
            throw .invalidInput("a text has \(tokens) tokens; this model takes at most \(c.maxPositionEmbeddings)")
        }
        for sequence in ids {
            if let bad = sequence.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
                throw .invalidInput("token id \(bad) is outside the vocabulary (0..<\(c.vocabSize))")
            }
        }
        if let masks = attentionMasks, masks.count != ids.count || zip(masks, ids).contains(where: { $0.count != $1.count }) {
            throw .invalidInput("attention masks must match the token ids in shape")
        }
        let texts = ids.count, d = c.hiddenSize, rows = texts * tokens
        var valid = [Bool](repeating: false, count: rows)
        for (t, sequence) in ids.enumerated() {
            for p in 0..<sequence.count { valid[t * tokens + p] = attentionMasks?[t][p] ?? 1 != 0 }
        }
        let pools = ids.map { poolIndex($0) }
        lock.lock()
        defer { lock.unlock() }
        do {
            scratch.reserve(rows: rows, tokens: tokens)
            let hidden = scratch.hidden
            for (t, sequence) in ids.enumerated() {
                for p in 0..<tokens {
                    // Padding rows use token 0; they are masked as keys and never pooled.
                    let id = p < sequence.count ? Int(sequence[p]) : 0
                    let row = hidden + (t * tokens + p) * d
                    let embedding = tokenEmbedding.pointer + id * d, position = positions.pointer + p * d
                    for k in 0..<d { row[k] = embedding[k] + position[k] }
                }
            }
            valid.withUnsafeBufferPointer { keyValid in
                for layer in layers {
                    layer(hidden, sequences: texts, tokens: tokens, causal: true, keyValid: keyValid.baseAddress, scratch: scratch)
                }
            }
            finalNorm(hidden, rows: rows, into: hidden)
            var pooled = [Float](repeating: 0, count: texts * d)
            for (t, index) in pools.enumerated() {
                for k in 0..<d { pooled[t * d + k] = hidden[(t * tokens + index) * d + k] }
            }
            return TextOutput(lastHiddenState: Array(UnsafeBufferPointer(start: hidden, count: rows * d)), pooled: pooled, tokens: tokens)
        }
    }

    /// Where transformers pools: the highest id for old configs (eos_token_id == 2),
    /// otherwise the first end token (position 0 if there is none, as argmax of all-false gives).
    func poolIndex(_ ids: [Int32]) -> Int {
        if configuration.poolsAtHighestID {
            var best = 0
            for (i, id) in ids.enumerated() where id > ids[best] { best = i }
            return best
        }
        // validate() keeps the end token inside the vocabulary; an id beyond Int32 cannot occur in `ids`.
        guard let end = Int32(exactly: configuration.eosTokenId) else { return 0 }
        return ids.firstIndex(of: end) ?? 0
    }
}
