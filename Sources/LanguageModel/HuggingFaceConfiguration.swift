import Foundation

/// `config.json` of a transformers `LlamaForCausalLM`, `MistralForCausalLM` or
/// `Qwen2ForCausalLM`. Missing fields take transformers' defaults; the RoPE
/// base is read from `rope_theta` or (transformers 5) `rope_parameters.rope_theta`.
struct HuggingFaceConfiguration: Decodable {
    var modelType: String
    var vocabSize: Int
    var hiddenSize: Int
    var intermediateSize: Int
    var numHiddenLayers: Int
    var numAttentionHeads: Int
    var numKeyValueHeads: Int?
    var headDim: Int?
    var rmsNormEps: Float
    var ropeTheta: Double?
    var ropeParameters: RopeParameters?
    var ropeScaling: RopeParameters?
    var maxPositionEmbeddings: Int
    var tieWordEmbeddings: Bool
    var attentionBias: Bool
    var hiddenAct: String

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta"
        case ropeParameters = "rope_parameters", ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", hiddenAct = "hidden_act"
    }

    struct RopeParameters: Decodable {
        var ropeTheta: Double?
        var ropeType: String?
        var type: String?
        var factor: Double?

        enum CodingKeys: String, CodingKey {
            case ropeTheta = "rope_theta", ropeType = "rope_type", type, factor
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decode(String.self, forKey: .modelType)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 32000
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 4096
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 11008
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 32
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 32
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        rmsNormEps = try c.decodeIfPresent(Float.self, forKey: .rmsNormEps) ?? 1e-6
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta)
        ropeParameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        ropeScaling = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
    }

    /// The engine's configuration, or why this checkpoint cannot run.
    func configuration(path: String) throws(LanguageModelError) -> (LanguageModelConfiguration, llamaAttentionBias: Bool) {
        let architecture: LanguageModelConfiguration.Architecture
        switch modelType {
        case "llama", "mistral": architecture = .llama
        case "qwen2": architecture = .qwen2
        default: throw .unknownArchitecture(path: path, architecture: modelType)
        }
        guard hiddenAct == "silu" else { throw .invalidConfiguration(path: path, reason: "hidden_act '\(hiddenAct)' is not supported (silu)") }
        var factor = 1.0
        for scaling in [ropeParameters, ropeScaling].compactMap({ $0 }) {
            switch scaling.ropeType ?? scaling.type ?? "default" {
            case "default": break
            case "linear": factor = scaling.factor ?? 1
            case let other: throw .invalidConfiguration(path: path, reason: "RoPE type '\(other)' is not supported (default, linear)")
            }
        }
        let theta = ropeTheta ?? ropeParameters?.ropeTheta ?? 10_000
        let configuration = LanguageModelConfiguration(
            architecture: architecture, vocabSize: vocabSize, hiddenSize: hiddenSize, intermediateSize: intermediateSize,
            layers: numHiddenLayers, heads: numAttentionHeads, kvHeads: numKeyValueHeads ?? numAttentionHeads,
            headDimension: headDim, rmsNormEpsilon: rmsNormEps, ropeTheta: theta, ropeLinearFactor: factor,
            contextLength: maxPositionEmbeddings, tieWordEmbeddings: tieWordEmbeddings)
        if let problem = configuration.validate() { throw .invalidConfiguration(path: path, reason: problem) }
        return (configuration, architecture == .llama && attentionBias)
    }

    /// The configuration in `path`, or in its object `key` (e.g. a LLaVA config's `text_config`).
    static func load(path: String, key: String? = nil) throws(LanguageModelError) -> HuggingFaceConfiguration {
        guard var data = FileManager.default.contents(atPath: path) else {
            throw .invalidConfiguration(path: path, reason: "cannot read the file")
        }
        if let key {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let nested = object[key] as? [String: Any],
                  let nestedData = try? JSONSerialization.data(withJSONObject: nested)
            else {
                throw .invalidConfiguration(path: path, reason: "no '\(key)' object")
            }
            data = nestedData
        }
        do {
            return try JSONDecoder().decode(HuggingFaceConfiguration.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalidConfiguration(path: path, reason: "no '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalidConfiguration(path: path, reason: "\(key): \(context.debugDescription)")
        } catch {
            throw .invalidConfiguration(path: path, reason: "not a valid config.json: \(error)")
        }
    }
}
