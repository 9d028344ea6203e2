import Foundation
import Imaging
public import Kernels
public import LLaVA
public import LanguageModel
import ModelFiles
public import Tokenizers

/// The LLaVA side of `sightline generate` and of the node's interpreter: which image encoder goes with the language model
/// (llama.cpp's `--mmproj` file, or the vision tower of a Hugging Face LLaVA folder), the
/// picture's embedding rows, and the prompt with them spliced in. Errors are one line each.
public struct VisionLanguageSetup: Sendable {
    public enum Source: Sendable {
        /// llama.cpp: the image encoder file next to a language-model GGUF.
        case mmproj(path: String)
        /// A `LlavaForConditionalGeneration` folder holding both halves.
        case huggingFace(LLaVALoader.HuggingFaceCheckpoint)
    }

    public let source: Source
    public let encoder: LLaVAImageEncoder
    public let reduction: ImageTokenReduction

    /// The image encoder for `model` / `mmproj`, or nil when the model has no vision side.
    public static func open(model: String, mmproj: String?, precision: MatmulPrecision, poolFactor: Int) throws -> VisionLanguageSetup? {
        do {
            let reduction = try ImageTokenReduction(factor: poolFactor)
            if let mmproj {
                if LLaVALoader.isHuggingFaceFolder(model) {
                    throw ModelLoadingError("--mmproj goes with a language-model GGUF; \(model) is a LLaVA folder with its own vision tower")
                }
                let encoder = try LLaVALoader.mmproj(path: mmproj, precision: precision)
                return VisionLanguageSetup(source: .mmproj(path: mmproj), encoder: encoder, reduction: reduction)
            }
            guard LLaVALoader.isHuggingFaceFolder(model) else { return nil }
            let checkpoint = try LLaVALoader.huggingFace(directory: model, precision: precision)
            return VisionLanguageSetup(source: .huggingFace(checkpoint), encoder: checkpoint.imageEncoder, reduction: reduction)
        } catch let error as LLaVAError {
            throw ModelLoadingError(error.description)
        }
    }

    /// Checks before anything heavy runs that the projector feeds this language model.
    public func checkLanguageModel(_ files: LanguageModelFiles) throws {
        guard case .mmproj = source, !files.isDirectory else { return }
        do throws(LLaVAError) {
            let file: GGUFFile
            do { file = try GGUFFile(path: files.path) } catch { throw .weights(error) }
            let configuration: LanguageModelConfiguration
            do { configuration = try LanguageModelConfiguration(gguf: file) } catch { throw .languageModel(error) }
            try encoder.checkCompatible(with: configuration)
        } catch {
            throw ModelLoadingError(error.description)
        }
    }

    /// The picture at `path` as language-model rows.
    public func embedImage(at path: String) throws -> ImageEmbedding {
        let image: RGBImage
        do { image = try ImageFile.read(path) } catch { throw ModelLoadingError("\(path): \(error.description)") }
        do {
            return try encoder.embed(image, reduction: reduction)
        } catch {
            throw ModelLoadingError("\(path): \(error.description)")
        }
    }

    /// The language model that goes with the image encoder.
    public func languageModel(_ files: LanguageModelFiles, tokenBudget: Int, threads: Int) throws -> LanguageModel {
        do {
            switch source {
            case .huggingFace(let checkpoint):
                return try checkpoint.languageModel(tokenBudget: tokenBudget, threads: threads)
            case .mmproj:
                let lm = try files.model(tokenBudget: tokenBudget, threads: threads)
                try encoder.checkCompatible(with: lm.configuration)
                return lm
            }
        } catch let error as LLaVAError {
            throw ModelLoadingError(error.description)
        }
    }

    /// The prompt with the image at its `<image>` marker (an error when one is missing).
    public static func prompt(_ text: String, image: ImageEmbedding?, tokenizer: LMTokenizer) throws -> ImagePrompt {
        do {
            return try ImagePrompt(text: text, image: image, tokenizer: tokenizer)
        } catch {
            throw ModelLoadingError(error.description)
        }
    }

    /// The context of a LLaVA folder's language model (`text_config.max_position_embeddings`; 0 when absent).
    public static func contextLength(ofFolder directory: String) -> Int {
        guard let data = FileManager.default.contents(atPath: directory + "/config.json"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let text = object["text_config"] as? [String: Any] else { return 0 }
        return text["max_position_embeddings"] as? Int ?? 0
    }
}
