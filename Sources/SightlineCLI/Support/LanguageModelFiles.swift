import Foundation
import LanguageModel
import ModelFiles
import Tokenizers

/// A language model given as a GGUF file or a Hugging Face checkpoint folder, opened the
/// same way by `generate` and `tokenize`, with one-line errors.
struct LanguageModelFiles {
    let path: String
    let isDirectory: Bool

    init(_ path: String) throws {
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &directory) else {
            throw CommandFailure("model \(path) does not exist")
        }
        self.path = path
        isDirectory = directory.boolValue
    }

    /// The LM tokenizer: the GGUF's `tokenizer.ggml.*`, or the folder's tokenizer.json.
    func tokenizer() throws -> LMTokenizer {
        do {
            return isDirectory ? try LMTokenizer(tokenizerJSONPath: path + "/tokenizer.json") : try LMTokenizer(ggufPath: path)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// The context the model was trained for (0 when the file does not say); checks the
    /// architecture before anything heavy is loaded.
    func contextLength() throws -> Int {
        if isDirectory {
            let url = URL(fileURLWithPath: path).appendingPathComponent("config.json")
            guard let data = try? Data(contentsOf: url) else { throw CommandFailure("\(url.path) does not exist or cannot be read") }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            return object?["max_position_embeddings"] as? Int ?? 0
        }
        do throws(LanguageModelError) {
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch { throw .weights(error) }
            return try LanguageModelConfiguration(gguf: file).contextLength
        } catch {
            throw CommandFailure(error.description)
        }
    }

    func model(tokenBudget: Int, threads: Int) throws -> LanguageModel {
        do {
            return isDirectory
                ? try LanguageModel(huggingFace: path, tokenBudget: tokenBudget, threads: threads)
                : try LanguageModel(gguf: path, tokenBudget: tokenBudget, threads: threads)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
