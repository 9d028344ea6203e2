import Foundation
import Imaging
import Kernels
import LLaVA
import LanguageModel
import ModelFiles
import Tokenizers

/// The LLaVA side of `sightline generate`: which image encoder goes with the language model
/// (llama.cpp's `--mmproj` file, or the vision tower of a Hugging Face LLaVA folder), the
/// picture's embedding rows, and the prompt with them spliced in. Errors are one line each.
struct VisionLanguageSetup {
    enum Source {
        /// llama.cpp: the image encoder file next to a language-model GGUF.
        case mmproj(path: String)
        /// A `LlavaForConditionalGeneration` folder holding both halves.
        case huggingFace(LLaVALoader.HuggingFaceCheckpoint)
    }

    let source: Source
    let encoder: LLaVAImageEncoder
    let reduction: ImageTokenReduction

    /// The image encoder for `model` / `mmproj`, or nil when the model has no vision side.
    static func open(model: String, mmproj: String?, precision: MatmulPrecision, poolFactor: Int) throws -> VisionLanguageSetup? {
        do {
            let reduction = try ImageTokenReduction(factor: poolFactor)
            if let mmproj {
                if LLaVALoader.isHuggingFaceFolder(model) {
                    throw CommandFailure("--mmproj goes with a language-model GGUF; \(model) is a LLaVA folder with its own vision tower")
                }
                let encoder = try LLaVALoader.mmproj(path: mmproj, precision: precision)
                return VisionLanguageSetup(source: .mmproj(path: mmproj), encoder: encoder, reduction: reduction)
            }
            guard LLaVALoader.isHuggingFaceFolder(model) else { return nil }
            let checkpoint = try LLaVALoader.huggingFace(directory: model, precision: precision)
            return VisionLanguageSetup(source: .huggingFace(checkpoint), encoder: checkpoint.imageEncoder, reduction: reduction)
        } catch let error as LLaVAError {
            throw CommandFailure(error.description)
        }
    }

    /// Checks before anything heavy runs that the projector feeds this language model.
    func checkLanguageModel(_ files: LanguageModelFiles) throws {
        guard case .mmproj = source, !files.isDirectory else { return }
        do throws(LLaVAError) {
            let file: GGUFFile
            do { file = try GGUFFile(path: files.path) } catch { throw .weights(error) }
            let configuration: LanguageModelConfiguration
            do { configuration = try LanguageModelConfiguration(gguf: file) } catch { throw .languageModel(error) }
            try encoder.checkCompatible(with: configuration)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// The picture at `path` as language-model rows.
    func embedImage(at path: String) throws -> ImageEmbedding {
        let image: RGBImage
        do { image = try ImageFile.read(path) } catch { throw CommandFailure("\(path): \(error.description)") }
        do {
            return try encoder.embed(image, reduction: reduction)
        } catch {
            throw CommandFailure("\(path): \(error.description)")
        }
    }

    /// The language model that goes with the image encoder.
    func languageModel(_ files: LanguageModelFiles, tokenBudget: Int, threads: Int) throws -> LanguageModel {
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
            throw CommandFailure(error.description)
        }
    }

    /// The prompt with the image at its `<image>` marker (an error when one is missing).
    static func prompt(_ text: String, image: ImageEmbedding?, tokenizer: LMTokenizer) throws -> ImagePrompt {
        do {
            return try ImagePrompt(text: text, image: image, tokenizer: tokenizer)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// The context of a LLaVA folder's language model (`text_config.max_position_embeddings`; 0 when absent).
    static func contextLength(ofFolder directory: String) -> Int {
        guard let data = FileManager.default.contents(atPath: directory + "/config.json"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let text = object["text_config"] as? [String: Any] else { return 0 }
        return text["max_position_embeddings"] as? Int ?? 0
    }
}
