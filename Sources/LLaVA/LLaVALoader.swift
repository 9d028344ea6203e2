import CLIP
import Foundation
public import Kernels
public import LanguageModel
import ModelFiles

/// The one place LLaVA checkpoint names map to layers, for both distributions:
///
/// * a Hugging Face `LlavaForConditionalGeneration` folder, with transformers >= 4.52 names
///   (`model.vision_tower.*`, `model.multi_modal_projector.*`, `model.language_model.*`, `lm_head`)
///   or the older ones llava-hf's checkpoints use (`vision_tower.vision_model.*`,
///   `multi_modal_projector.*`, `language_model.model.*`, `language_model.lm_head`);
/// * llama.cpp's mmproj GGUF (arch `clip`, `clip.vision.*` metadata, `v.*` and `mm.N.*` tensors),
///   next to a language-model GGUF the LanguageModel module loads.
public enum LLaVALoader {
    /// An HF folder's image side, and where its language model's tensors are.
    public struct HuggingFaceCheckpoint: Sendable {
        public let imageEncoder: LLaVAImageEncoder
        public let languageModelNames: HuggingFaceTensorNames

        /// The language model of the same folder (`text_config`, the detected tensor names).
        public func languageModel(tokenBudget: Int, threads: Int) throws(LLaVAError) -> LanguageModel {
            let lm: LanguageModel
            do {
                lm = try LanguageModel(
                    huggingFace: directory, configurationKey: "text_config", tensorNames: languageModelNames,
                    tokenBudget: tokenBudget, threads: threads)
            } catch {
                throw .languageModel(error)
            }
            try imageEncoder.checkCompatible(with: lm.configuration)
            return lm
        }

        let directory: String
    }

    /// A folder whose config.json describes a vision tower and a language model.
    public static func isHuggingFaceFolder(_ directory: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: directory + "/config.json"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return false }
        return object["vision_config"] != nil && object["text_config"] != nil
    }

    // MARK: Hugging Face

    public static func huggingFace(directory: String, precision: MatmulPrecision = .fp32) throws(LLaVAError) -> HuggingFaceCheckpoint {
        let configPath = directory + "/config.json"
        let configuration = try decodeConfiguration(at: configPath)
        let checkpoint: SafetensorsCheckpoint
        do { checkpoint = try SafetensorsCheckpoint(directory: directory) } catch { throw .weights(error) }

        // Which generation of transformers names the checkpoint uses.
        func has(_ name: String) -> Bool { checkpoint.entry(name) != nil }
        let visionPrefix = ["model.vision_tower", "model.vision_tower.vision_model", "vision_tower.vision_model", "vision_tower"]
            .first { has($0 + ".embeddings.class_embedding") }
        guard let visionPrefix else { throw .weights(.missingTensor(path: directory, tensor: "vision_tower.vision_model.embeddings.class_embedding")) }
        let projectorPrefix = has("model.multi_modal_projector.linear_1.weight") ? "model.multi_modal_projector" : "multi_modal_projector"
        let languageModelNames = has("model.language_model.embed_tokens.weight")
            ? HuggingFaceTensorNames(bodyPrefix: "model.language_model.", head: "lm_head")
            : HuggingFaceTensorNames(bodyPrefix: "language_model.model.", head: "language_model.lm_head")

        let weights = WeightReader(checkpoint: checkpoint, precision: precision)
        let projector = try makeProjector(configuration, textWidth: try textHiddenSize(checkpoint, projectorPrefix), precision: precision) { (layer, shape) throws(ModelFileError) in
            try checkpoint.floats("\(projectorPrefix).linear_\(layer + 1).\(shape.count == 2 ? "weight" : "bias")", shape: shape)
        }
        let tower: CLIPVisionEncoder
        do {
            tower = try CLIPVisionEncoder(weights, configuration: configuration.vision, prefix: visionPrefix, postNorm: false)
        } catch {
            throw .vision(error)
        }
        let preprocessor = try huggingFacePreprocessor(directory: directory, configuration: configuration)
        let encoder = try LLaVAImageEncoder(configuration: configuration, preprocessor: preprocessor, tower: tower, projector: projector)
        return HuggingFaceCheckpoint(imageEncoder: encoder, languageModelNames: languageModelNames, directory: directory)
    }

    static func decodeConfiguration(at path: String) throws(LLaVAError) -> LLaVAConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidConfiguration(path: path, reason: "cannot read the file")
        }
        let configuration: LLaVAConfiguration
        do {
            configuration = try JSONDecoder().decode(LLaVAConfiguration.self, from: data)
        } catch let error as LLaVAConfiguration.UnsupportedProjector {
            throw .unsupportedProjector(path: path, type: error.name)
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidConfiguration(path: path, reason: context.debugDescription)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .invalidConfiguration(path: path, reason: "\(key): \(context.debugDescription)")
        } catch {
            throw .invalidConfiguration(path: path, reason: "\(error)")
        }
        if let problem = configuration.validate() { throw .invalidConfiguration(path: path, reason: problem) }
        return configuration
    }

    /// The projector's output width, read from its last layer's bias/weight.
    private static func textHiddenSize(_ checkpoint: SafetensorsCheckpoint, _ prefix: String) throws(LLaVAError) -> Int {
        for layer in ["linear_2", "linear_1"] {
            if let entry = checkpoint.entry("\(prefix).\(layer).weight"), entry.shape.count == 2 { return entry.shape[0] }
        }
        throw .weights(.missingTensor(path: checkpoint.directory, tensor: "\(prefix).linear_1.weight"))
    }

    /// preprocessor_config.json (OpenAI CLIP's defaults at the tower's size when absent); padding when
    /// config.json says `image_aspect_ratio: pad` or the processor says `do_pad`.
    private static func huggingFacePreprocessor(directory: String, configuration: LLaVAConfiguration) throws(LLaVAError) -> LLaVAImagePreprocessor {
        let path = directory + "/preprocessor_config.json"
        var settings = CLIPPreprocessorConfiguration(imageSize: configuration.vision.imageSize)
        var pad = configuration.padToSquare
        if let data = FileManager.default.contents(atPath: path) {
            do {
                settings = try JSONDecoder().decode(CLIPPreprocessorConfiguration.self, from: data)
            } catch {
                throw .invalidConfiguration(path: path, reason: "\(error)")
            }
            if let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], object["do_pad"] as? Bool == true {
                pad = true
            }
        }
        return LLaVAImagePreprocessor(clip: CLIPImageProcessor(configuration: settings), padToSquare: pad)
    }

    /// Builds the projector from `tensor(layer, shape)` (layer 0 = the first Linear, 1 = the second).
    static func makeProjector(
        _ configuration: LLaVAConfiguration, textWidth: Int, precision: MatmulPrecision = .fp32,
        tensor: (Int, [Int]) throws(ModelFileError) -> FloatTensor
    ) throws(LLaVAError) -> LLaVAProjector {
        let v = configuration.vision.hiddenSize, bias = configuration.projectorBias
        do {
            switch configuration.projector {
            case .linear:
                return LLaVAProjector(
                    first: Linear(weight: try tensor(0, [textWidth, v]), bias: bias ? try tensor(0, [textWidth]) : nil, precision: precision),
                    activation: configuration.projectorActivation, second: nil)
            case .mlp2xGELU:
                return LLaVAProjector(
                    first: Linear(weight: try tensor(0, [textWidth, v]), bias: bias ? try tensor(0, [textWidth]) : nil, precision: precision),
                    activation: configuration.projectorActivation,
                    second: Linear(weight: try tensor(1, [textWidth, textWidth]), bias: bias ? try tensor(1, [textWidth]) : nil, precision: precision))
            }
        } catch {
            throw .weights(error)
        }
    }
}
