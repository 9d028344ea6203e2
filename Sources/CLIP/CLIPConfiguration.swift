public import Kernels
import ModelFiles

/// `config.json` of a Hugging Face `CLIPModel` (also OpenCLIP exports in the same layout).
///
/// Real checkpoints carry many more fields (architectures, torch_dtype,
/// transformers_version, ...); they are ignored. Fields the engine needs fall
/// back to transformers' defaults when absent, exactly as `CLIPConfig` does,
/// and are then checked for consistency.
public struct CLIPConfiguration: Sendable, Equatable, Decodable {
    public var projectionDim: Int
    public var logitScaleInitValue: Float
    public var text: CLIPTextConfiguration
    public var vision: CLIPVisionConfiguration

    enum CodingKeys: String, CodingKey {
        case projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value"
        case text = "text_config"
        case vision = "vision_config"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? 512
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? 2.6592
        text = try c.decodeIfPresent(CLIPTextConfiguration.self, forKey: .text) ?? CLIPTextConfiguration()
        vision = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .vision) ?? CLIPVisionConfiguration()
    }

    /// Checks what the engine relies on; returns the first problem.
    public func validate() -> String? {
        if let problem = ConfigurationLimits.problem(["projection_dim": (projectionDim, ConfigurationLimits.dimension)]) {
            return problem
        }
        return text.validate() ?? vision.validate()
    }
}

public struct CLIPTextConfiguration: Sendable, Equatable, Decodable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    public var maxPositionEmbeddings = 77
    public var hiddenAct = Activation.quickGELU
    public var layerNormEps: Float = 1e-5
    public var bosTokenId = 49406
    public var eosTokenId = 49407
    public var padTokenId = 1

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
        case padTokenId = "pad_token_id"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPTextConfiguration()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId) ?? d.bosTokenId
        eosTokenId = try c.decodeIfPresent(Int.self, forKey: .eosTokenId) ?? d.eosTokenId
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? d.padTokenId
    }

    /// Checkpoints written before transformers 4.31 set eos_token_id = 2 and pool
    /// at the highest token id (the end token has the highest id in CLIP's vocabulary);
    /// newer ones pool at the first end token.
    public var poolsAtHighestID: Bool { eosTokenId == 2 }

    func validate() -> String? {
        let limits = ConfigurationLimits.self
        if let problem = limits.problem([
            "vocab_size": (vocabSize, limits.vocabulary), "hidden_size": (hiddenSize, limits.dimension),
            "intermediate_size": (intermediateSize, limits.dimension), "num_hidden_layers": (numHiddenLayers, limits.layers),
            "num_attention_heads": (numAttentionHeads, limits.heads),
            "max_position_embeddings": (maxPositionEmbeddings, limits.positions),
        ], prefix: "text_config: ") { return problem }
        if hiddenSize % numAttentionHeads != 0 {
            return "text_config: hidden_size \(hiddenSize) must be a positive multiple of num_attention_heads \(numAttentionHeads)"
        }
        // The end token is where the text is pooled; it is compared with token ids (Int32).
        if !(0..<vocabSize).contains(eosTokenId) {
            return "text_config: eos_token_id \(eosTokenId) is outside the vocabulary (0..<\(vocabSize))"
        }
        if !(layerNormEps >= 0 && layerNormEps.isFinite) { return "text_config: layer_norm_eps must be a finite number, at least 0" }
        return nil
    }
}

public struct CLIPVisionConfiguration: Sendable, Equatable, Codable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 32
    public var hiddenAct = Activation.quickGELU
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPVisionConfiguration()
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? d.patchSize
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
    }

    /// Patches per side.
    public var gridSize: Int { imageSize / patchSize }
    /// Class token plus patches.
    public var tokens: Int { gridSize * gridSize + 1 }

    public func validate() -> String? {
        let limits = ConfigurationLimits.self
        if let problem = limits.problem([
            "hidden_size": (hiddenSize, limits.dimension), "intermediate_size": (intermediateSize, limits.dimension),
            "num_hidden_layers": (numHiddenLayers, limits.layers), "num_attention_heads": (numAttentionHeads, limits.heads),
            "image_size": (imageSize, limits.imageSide), "patch_size": (patchSize, limits.imageSide),
        ], prefix: "vision_config: ") { return problem }
        if hiddenSize % numAttentionHeads != 0 {
            return "vision_config: hidden_size \(hiddenSize) must be a positive multiple of num_attention_heads \(numAttentionHeads)"
        }
        if imageSize % patchSize != 0 {
            return "vision_config: image_size \(imageSize) must be a positive multiple of patch_size \(patchSize)"
        }
        if numChannels != 3 { return "vision_config: num_channels must be 3 (RGB), got \(numChannels)" }
        if !(layerNormEps >= 0 && layerNormEps.isFinite) { return "vision_config: layer_norm_eps must be a finite number, at least 0" }
        return nil
    }
}
