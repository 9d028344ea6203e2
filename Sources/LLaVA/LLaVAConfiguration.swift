public import CLIP
public import Kernels

/// What LLaVA adds to its vision and language configurations, whichever file it came from.
///
/// Decoded from a Hugging Face `LlavaForConditionalGeneration` config.json (transformers' keys,
/// plus the original LLaVA repository's `mm_projector_type` and `image_aspect_ratio`, which
/// transformers does not read); built from `clip.*` metadata for a llama.cpp mmproj file.
public struct LLaVAConfiguration: Sendable, Equatable, Codable {
    /// Which vision-encoder rows go to the projector.
    public enum FeatureSelect: String, Sendable, Codable {
        /// Patch rows only (the class token is dropped): LLaVA-1.5.
        case `default`
        /// The class token and the patch rows.
        case full
    }

    /// The projector between the vision features and the language model's embeddings.
    public enum ProjectorType: String, Sendable, Codable {
        /// One Linear (LLaVA-1.0).
        case linear
        /// Linear, activation, Linear (LLaVA-1.5).
        case mlp2xGELU = "mlp2x_gelu"
    }

    public var vision: CLIPVisionConfiguration
    /// Index into the vision encoder's hidden states (0 = the embeddings after the pre-LayerNorm,
    /// N = after block N); negative counts from the end, so -2 is the output of the second-to-last block.
    public var featureLayer: Int
    public var featureSelect: FeatureSelect
    public var projector: ProjectorType
    public var projectorActivation: Activation
    public var projectorBias: Bool
    /// The placeholder token id in HF prompts (`<image>`); nil when the prompt marks the image in text only.
    public var imageTokenIndex: Int?
    /// Pad the picture to a square with the mean colour before CLIP's resize and crop (LLaVA-1.5's `pad`).
    public var padToSquare: Bool

    enum CodingKeys: String, CodingKey {
        case vision = "vision_config"
        case featureLayer = "vision_feature_layer"
        case featureSelect = "vision_feature_select_strategy"
        case projector = "mm_projector_type"
        case projectorActivation = "projector_hidden_act"
        case projectorBias = "multimodal_projector_bias"
        case imageTokenIndex = "image_token_index"
        case imageAspectRatio = "image_aspect_ratio"
    }

    public init(
        vision: CLIPVisionConfiguration, featureLayer: Int = -2, featureSelect: FeatureSelect = .default,
        projector: ProjectorType = .mlp2xGELU, projectorActivation: Activation = .gelu, projectorBias: Bool = true,
        imageTokenIndex: Int? = nil, padToSquare: Bool = false
    ) {
        self.vision = vision
        self.featureLayer = featureLayer
        self.featureSelect = featureSelect
        self.projector = projector
        self.projectorActivation = projectorActivation
        self.projectorBias = projectorBias
        self.imageTokenIndex = imageTokenIndex
        self.padToSquare = padToSquare
    }

    /// transformers' defaults where a field is absent (`LlavaConfig`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vision = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .vision) ?? CLIPVisionConfiguration()
        if let layers = try? c.decode([Int].self, forKey: .featureLayer) {
            guard layers.count == 1 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .featureLayer, in: c,
                    debugDescription: "several feature layers \(layers) (concatenated features) are not supported; LLaVA-1.5 uses one")
            }
            featureLayer = layers[0]
        } else {
            featureLayer = try c.decodeIfPresent(Int.self, forKey: .featureLayer) ?? -2
        }
        let select = try c.decodeIfPresent(String.self, forKey: .featureSelect) ?? "default"
        guard let featureSelect = FeatureSelect(rawValue: select) else {
            throw DecodingError.dataCorruptedError(
                forKey: .featureSelect, in: c, debugDescription: "unknown strategy '\(select)' (default, full)")
        }
        self.featureSelect = featureSelect
        // Checked by the loader, which names an unknown type in its own error.
        let projectorName = try c.decodeIfPresent(String.self, forKey: .projector) ?? ProjectorType.mlp2xGELU.rawValue
        guard let projector = ProjectorType(rawValue: projectorName) else {
            throw UnsupportedProjector(name: projectorName)
        }
        self.projector = projector
        let activation = try c.decodeIfPresent(String.self, forKey: .projectorActivation) ?? "gelu"
        guard let projectorActivation = Activation(rawValue: activation) else {
            throw DecodingError.dataCorruptedError(
                forKey: .projectorActivation, in: c, debugDescription: "unsupported activation '\(activation)' (gelu, quick_gelu, gelu_pytorch_tanh)")
        }
        self.projectorActivation = projectorActivation
        projectorBias = try c.decodeIfPresent(Bool.self, forKey: .projectorBias) ?? true
        imageTokenIndex = try c.decodeIfPresent(Int.self, forKey: .imageTokenIndex)
        padToSquare = try c.decodeIfPresent(String.self, forKey: .imageAspectRatio) == "pad"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vision, forKey: .vision)
        try c.encode(featureLayer, forKey: .featureLayer)
        try c.encode(featureSelect, forKey: .featureSelect)
        try c.encode(projector, forKey: .projector)
        try c.encode(projectorActivation, forKey: .projectorActivation)
        try c.encode(projectorBias, forKey: .projectorBias)
        try c.encodeIfPresent(imageTokenIndex, forKey: .imageTokenIndex)
        try c.encode(padToSquare ? "pad" : "square", forKey: .imageAspectRatio)
    }

    /// Thrown while decoding so the loader can report the type by name.
    struct UnsupportedProjector: Error {
        let name: String
    }

    /// Vision blocks to run: the hidden state index the feature layer denotes.
    public var visionLayersToRun: Int {
        featureLayer < 0 ? vision.numHiddenLayers + 1 + featureLayer : featureLayer
    }

    /// Image rows before any reduction.
    public var imageRows: Int { vision.gridSize * vision.gridSize + (featureSelect == .full ? 1 : 0) }

    /// Checks what the engine relies on; returns the first problem.
    public func validate() -> String? {
        if let problem = vision.validate() { return problem }
        if !(0...vision.numHiddenLayers).contains(visionLayersToRun) {
            return "vision_feature_layer \(featureLayer) is outside the vision encoder's \(vision.numHiddenLayers + 1) hidden states"
        }
        return nil
    }
}
