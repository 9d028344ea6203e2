public import ModelFiles

/// The shape of a LLaMA-family decoder (LLaMA, Mistral, Qwen2), whichever file it came from.
public struct LanguageModelConfiguration: Sendable, Equatable {
    public enum Architecture: String, Sendable {
        /// LLaMA and Mistral: no biases.
        case llama
        /// Qwen2: biases on the Q, K and V projections.
        case qwen2
    }

    public var architecture: Architecture
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDimension: Int
    public var rmsNormEpsilon: Float
    public var ropeTheta: Double
    /// Linear RoPE scaling: positions are divided by this factor (1 = none).
    public var ropeLinearFactor: Double
    /// The context the model was trained for (informational; the KV cache budget is chosen at load).
    public var contextLength: Int
    public var tieWordEmbeddings: Bool

    public init(
        architecture: Architecture, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layers: Int,
        heads: Int, kvHeads: Int, headDimension: Int? = nil, rmsNormEpsilon: Float, ropeTheta: Double,
        ropeLinearFactor: Double = 1, contextLength: Int, tieWordEmbeddings: Bool
    ) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDimension = headDimension ?? (heads > 0 ? hiddenSize / heads : 0)
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropeLinearFactor = ropeLinearFactor
        self.contextLength = contextLength
        self.tieWordEmbeddings = tieWordEmbeddings
    }

    public var queryDimension: Int { heads * headDimension }
    public var keyValueDimension: Int { kvHeads * headDimension }

    /// Checks what the engine relies on; returns the first problem.
    public func validate() -> String? {
        let limits = ConfigurationLimits.self
        if let problem = limits.problem([
            "vocab size": (vocabSize, limits.vocabulary), "hidden size": (hiddenSize, limits.dimension),
            "intermediate size": (intermediateSize, limits.dimension), "layer count": (layers, limits.layers),
            "head count": (heads, limits.heads), "key/value head count": (kvHeads, limits.heads),
            "head dimension": (headDimension, limits.dimension),
        ]) { return problem }
        if queryDimension > limits.dimension * 4 { return "\(heads) heads of \(headDimension) are too wide (\(queryDimension) > \(limits.dimension * 4))" }
        if contextLength < 0 { return "context length must not be negative, found \(contextLength)" }
        if heads % kvHeads != 0 { return "\(heads) attention heads are not a multiple of \(kvHeads) key/value heads" }
        if headDimension % 2 != 0 { return "head dimension \(headDimension) is odd; RoPE rotates pairs" }
        if !(rmsNormEpsilon > 0 && rmsNormEpsilon.isFinite) { return "RMSNorm epsilon must be positive, found \(rmsNormEpsilon)" }
        if !(ropeTheta > 0 && ropeTheta.isFinite) { return "RoPE base must be positive, found \(ropeTheta)" }
        if !(ropeLinearFactor > 0 && ropeLinearFactor.isFinite) { return "RoPE scaling factor must be positive, found \(ropeLinearFactor)" }
        return nil
    }
}

// MARK: GGUF metadata

extension LanguageModelConfiguration {
    /// Reads `general.architecture` and the `{arch}.*` keys llama.cpp uses; the
    /// vocabulary size is the token embedding's row count.
    public init(gguf file: GGUFFile) throws(LanguageModelError) {
        guard let name = file.architecture else {
            throw .weights(.missingKey(path: file.path, key: "general.architecture"))
        }
        let architecture: Architecture
        switch name {
        case "llama", "mistral": architecture = .llama
        case "qwen2": architecture = .qwen2
        default: throw .unknownArchitecture(path: file.path, architecture: name)
        }
        do {
            func int(_ key: String) throws(ModelFileError) -> Int { try file.int("\(name).\(key)") }
            func optionalInt(_ key: String) throws(ModelFileError) -> Int? {
                file.metadata["\(name).\(key)"] == nil ? nil : try int(key)
            }
            let hidden = try int("embedding_length"), heads = try int("attention.head_count")
            // head_count_kv may be absent (then equal to head_count).
            let kvHeads = try optionalInt("attention.head_count_kv") ?? heads
            let headDimension = try optionalInt("attention.key_length") ?? (heads > 0 ? hidden / heads : 0)
            if let valueLength = try optionalInt("attention.value_length"), valueLength != headDimension {
                throw LanguageModelError.invalidConfiguration(
                    path: file.path, reason: "\(name).attention.value_length \(valueLength) differs from key_length \(headDimension)")
            }
            if let ropeDimensions = try optionalInt("rope.dimension_count"), ropeDimensions != headDimension {
                throw LanguageModelError.invalidConfiguration(
                    path: file.path, reason: "partial RoPE (\(name).rope.dimension_count \(ropeDimensions) < head dimension \(headDimension)) is not supported")
            }
            let theta = file.metadata["\(name).rope.freq_base"] == nil ? 10_000 : try file.double("\(name).rope.freq_base")
            var linearFactor = 1.0
            if file.metadata["\(name).rope.scaling.type"] != nil {
                let type = try file.string("\(name).rope.scaling.type")
                switch type {
                case "none": break
                case "linear": linearFactor = try file.double("\(name).rope.scaling.factor")
                default:
                    throw LanguageModelError.invalidConfiguration(path: file.path, reason: "RoPE scaling '\(type)' is not supported (only linear)")
                }
            } else if file.metadata["\(name).rope.scale_linear"] != nil {
                linearFactor = try file.double("\(name).rope.scale_linear")
            }
            guard let embedding = file.info("token_embd.weight") else {
                throw ModelFileError.missingTensor(path: file.path, tensor: "token_embd.weight")
            }
            guard embedding.dimensions.count == 2 else {
                throw ModelFileError.shapeMismatch(path: file.path, tensor: "token_embd.weight", expected: [-1, hidden], found: embedding.shape)
            }
            self.init(
                architecture: architecture, vocabSize: embedding.dimensions[1], hiddenSize: hidden,
                intermediateSize: try int("feed_forward_length"), layers: try int("block_count"),
                heads: heads, kvHeads: kvHeads, headDimension: headDimension,
                rmsNormEpsilon: try file.float("\(name).attention.layer_norm_rms_epsilon"),
                ropeTheta: theta, ropeLinearFactor: linearFactor,
                contextLength: try optionalInt("context_length") ?? 0,
                tieWordEmbeddings: file.info("output.weight") == nil)
        } catch let error as LanguageModelError {
            throw error
        } catch let error as ModelFileError {
            throw .weights(error)
        } catch {
            throw .invalidConfiguration(path: file.path, reason: "\(error)")
        }
        if let problem = validate() { throw .invalidConfiguration(path: file.path, reason: problem) }
    }
}
