import Foundation
import ModelFiles

/// A LLaMA-family decoder (LLaMA, Mistral, Qwen2) from a llama.cpp GGUF file or
/// a Hugging Face safetensors checkpoint, with a KV cache of a fixed token
/// budget. `prefill` runs a prompt in chunks; `decode` adds one token at a time.
/// Not thread-safe: one sequence, one caller.
public final class LanguageModel {
    public let configuration: LanguageModelConfiguration
    public let ropeLayout: RopeLayout
    /// Positions the KV cache holds.
    public let tokenBudget: Int
    /// Positions per forward pass during prefill.
    public let chunkSize: Int
    /// Threads for the quantized products (OpenBLAS has its own setting, `BLAS.setThreads`).
    public var threads: Int
    /// float32, or float16 as llama.cpp's default cache.
    public let kvPrecision: KVCachePrecision
    /// Positions already in the cache.
    public private(set) var position = 0

    let weights: DecoderWeights
    let rope: RotaryEmbedding
    let cache: KVCache
    let workspace: Workspace

    init(configuration: LanguageModelConfiguration, weights: DecoderWeights, ropeLayout: RopeLayout,
         tokenBudget: Int, chunkSize: Int, threads: Int, kvPrecision: KVCachePrecision) {
        self.kvPrecision = kvPrecision
        self.configuration = configuration
        self.weights = weights
        self.ropeLayout = ropeLayout
        self.tokenBudget = tokenBudget
        self.chunkSize = chunkSize
        self.threads = max(1, threads)
        rope = RotaryEmbedding(layout: ropeLayout, headDimension: configuration.headDimension, base: configuration.ropeTheta,
                               linearFactor: configuration.ropeLinearFactor, positions: tokenBudget)
        cache = KVCache(layers: configuration.layers, budget: tokenBudget, rowWidth: configuration.keyValueDimension)
        workspace = Workspace(configuration, chunk: chunkSize, budget: tokenBudget)
    }

    /// A llama.cpp GGUF file (F32/F16/BF16 or quantized weights, used in place).
    /// RoPE follows llama.cpp: adjacent pairs for `llama` (its Q/K rows are
    /// stored permuted), halves (NEOX) for `qwen2`.
    public convenience init(
        gguf path: String, tokenBudget: Int = 2048, chunkSize: Int = 64, threads: Int = 2, kvPrecision: KVCachePrecision = .float32
    ) throws(LanguageModelError) {
        try Self.checkSizes(tokenBudget: tokenBudget, chunkSize: chunkSize)
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .weights(error) }
        let configuration = try LanguageModelConfiguration(gguf: file)
        let weights = try WeightLoader.gguf(file, configuration)
        self.init(configuration: configuration, weights: weights,
                  ropeLayout: configuration.architecture == .llama ? .adjacentPairs : .halves,
                  tokenBudget: tokenBudget, chunkSize: chunkSize, threads: threads, kvPrecision: kvPrecision)
    }

    /// A Hugging Face checkpoint folder (`config.json`, `model.safetensors` or shards); RoPE is rotate_half.
    /// - Parameters:
    ///   - configurationKey: read the decoder's configuration from this object of config.json
    ///     (`text_config` in a LLaVA folder) instead of the whole file.
    ///   - tensorNames: where the decoder's tensors are (other than `model.*` inside a LLaVA checkpoint).
    public convenience init(
        huggingFace directory: String, configurationKey: String? = nil, tensorNames: HuggingFaceTensorNames = .causalLM,
        tokenBudget: Int = 2048, chunkSize: Int = 64, threads: Int = 2, kvPrecision: KVCachePrecision = .float32
    ) throws(LanguageModelError) {
        try Self.checkSizes(tokenBudget: tokenBudget, chunkSize: chunkSize)
        let configPath = directory + "/config.json"
        let (configuration, llamaAttentionBias) = try HuggingFaceConfiguration.load(path: configPath, key: configurationKey)
            .configuration(path: configPath)
        let checkpoint: SafetensorsCheckpoint
        do { checkpoint = try SafetensorsCheckpoint(directory: directory) } catch { throw .weights(error) }
        let weights = try WeightLoader.huggingFace(
            checkpoint, configuration, llamaAttentionBias: llamaAttentionBias, names: tensorNames)
        self.init(configuration: configuration, weights: weights, ropeLayout: .halves,
                  tokenBudget: tokenBudget, chunkSize: chunkSize, threads: threads, kvPrecision: kvPrecision)
    }

    private static func checkSizes(tokenBudget: Int, chunkSize: Int) throws(LanguageModelError) {
        guard tokenBudget > 0, chunkSize > 0 else {
            throw .invalidInput("token budget (\(tokenBudget)) and chunk size (\(chunkSize)) must be positive")
        }
    }

    /// Forgets the cached sequence.
    public func reset() { position = 0 }

    /// Forgets everything after the first `length` positions, keeping their keys
    /// and values: a shared prompt prefix is evaluated once and each request
    /// continues from it. The logits are those of the last run, not of position
    /// `length - 1`; run at least one more position before reading them.
    public func rewind(to length: Int) throws(LanguageModelError) {
        guard (0...position).contains(length) else {
            throw .invalidInput("cannot rewind to \(length): the sequence has \(position) positions")
        }
        position = length
    }

    // MARK: Running

    /// Appends `input` to the sequence and returns the next-token logits after its last position.
    public func prefill(_ input: [LanguageModelInput]) throws(LanguageModelError) -> [Float] {
        try run(input, allLogits: nil)
        return lastLogits
    }

    /// As `prefill`, but returns the logits of every position of `input` (for tests).
    public func prefillAllLogits(_ input: [LanguageModelInput]) throws(LanguageModelError) -> [[Float]] {
        var rows: [[Float]] = []
        try run(input, allLogits: &rows)
        return rows
    }

    /// Appends one token and returns the next-token logits.
    public func decode(_ token: Int32) throws(LanguageModelError) -> [Float] {
        try run([.token(token)], allLogits: nil)
        return lastLogits
    }

    /// Greedy continuation: prefill `prompt`, then up to `maxNewTokens` argmax tokens
    /// (stopping after emitting one of `stopTokens`, which is included).
    public func greedy(prompt: [LanguageModelInput], maxNewTokens: Int, stopTokens: Set<Int32> = []) throws(LanguageModelError) -> [Int32] {
        var generated: [Int32] = []
        guard maxNewTokens > 0 else { return generated }
        try run(prompt, allLogits: nil)
        while true {
            let next = Int32(argmaxLogits())
            generated.append(next)
            if generated.count == maxNewTokens || stopTokens.contains(next) { break }
            try run([.token(next)], allLogits: nil)
        }
        return generated
    }

    /// The logits of the last position run, copied.
    public var lastLogits: [Float] {
        Array(UnsafeBufferPointer(start: workspace.logits.pointer, count: configuration.vocabSize))
    }

    /// The index of the largest last-position logit (the lowest index on ties, as llama.cpp's greedy loop).
    public func argmaxLogits() -> Int {
        let logits = workspace.logits.pointer
        var best = 0
        for i in 1..<configuration.vocabSize where logits[i] > logits[best] { best = i }
        return best
    }

    private func validate(_ input: [LanguageModelInput]) throws(LanguageModelError) {
        guard !input.isEmpty else { throw .invalidInput("the input is empty") }
        guard position + input.count <= tokenBudget else {
            throw .contextOverflow(needed: position + input.count, budget: tokenBudget)
        }
        for (i, item) in input.enumerated() {
            switch item {
            case .token(let id):
                guard id >= 0, Int(id) < configuration.vocabSize else {
                    throw .invalidInput("input \(i): token id \(id) is outside the vocabulary (0..<\(configuration.vocabSize))")
                }
            case .embedding(let row):
                guard row.count == configuration.hiddenSize else {
                    throw .invalidInput("input \(i): an embedding row has \(row.count) values, the model's hidden size is \(configuration.hiddenSize)")
                }
            }
        }
    }

    private func run(_ input: [LanguageModelInput], allLogits: UnsafeMutablePointer<[[Float]]>?) throws(LanguageModelError) {
        try validate(input)
        var offset = 0
        while offset < input.count {
            let rows = min(chunkSize, input.count - offset)
            forward(input[offset..<(offset + rows)], allLogits: allLogits)
            offset += rows
        }
    }

    /// One chunk: embeddings, every layer, then the head for the last row (or every row).
    private func forward(_ chunk: ArraySlice<LanguageModelInput>, allLogits: UnsafeMutablePointer<[[Float]]>?) {
        let c = configuration, h = c.hiddenSize, rows = chunk.count, w = workspace
        let hidden = w.hidden.pointer
        for (r, item) in chunk.enumerated() {
            switch item {
            case .token(let id): weights.embedding.row(Int(id), into: hidden + r * h)
            case .embedding(let values): values.withUnsafeBufferPointer { (hidden + r * h).update(from: $0.baseAddress!, count: h) }
            }
        }
        for (l, layer) in weights.layers.enumerated() {
            layer.forward(rows: rows, start: position, layer: l, configuration: c, rope: rope, cache: cache, precision: kvPrecision, workspace: w, threads: threads)
        }
        position += rows
        let normed = w.normed.pointer, logits = w.logits.pointer
        if let allLogits {
            weights.finalNorm(hidden, rows: rows, into: normed)
            for r in 0..<rows {
                weights.output(normed + r * h, rows: 1, into: logits, threads: threads)
                allLogits.pointee.append(lastLogits)
            }
        } else {
            weights.finalNorm(hidden + (rows - 1) * h, rows: 1, into: normed)
            weights.output(normed, rows: 1, into: logits, threads: threads)
        }
    }
}
