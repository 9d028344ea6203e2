import Foundation
public import LanguageModel
import ModelFiles
public import Tokenizers

/// What went wrong opening model files, in one line.
public struct ModelLoadingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A language model given as a GGUF file or a Hugging Face checkpoint folder, opened the
/// same way by `generate`, `tokenize` and the node, with one-line errors.
public struct LanguageModelFiles: Sendable {
    public let path: String
    public let isDirectory: Bool

    public init(_ path: String) throws {
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &directory) else {
            throw ModelLoadingError("model \(path) does not exist")
        }
        self.path = path
        isDirectory = directory.boolValue
    }

    /// The LM tokenizer: the GGUF's `tokenizer.ggml.*`, or the folder's tokenizer.json.
    public func tokenizer() throws -> LMTokenizer {
        do {
            return isDirectory ? try LMTokenizer(tokenizerJSONPath: path + "/tokenizer.json") : try LMTokenizer(ggufPath: path)
        } catch {
            throw ModelLoadingError(error.description)
        }
    }

    /// The context the model was trained for (0 when the file does not say); checks the
    /// architecture before anything heavy is loaded.
    public func contextLength() throws -> Int {
        if isDirectory {
            let url = URL(fileURLWithPath: path).appendingPathComponent("config.json")
            guard let data = try? Data(contentsOf: url) else { throw ModelLoadingError("\(url.path) does not exist or cannot be read") }
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            return object?["max_position_embeddings"] as? Int ?? 0
        }
        do throws(LanguageModelError) {
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch { throw .weights(error) }
            return try LanguageModelConfiguration(gguf: file).contextLength
        } catch {
            throw ModelLoadingError(error.description)
        }
    }

    public func model(tokenBudget: Int, threads: Int) throws -> LanguageModel {
        do {
            return isDirectory
                ? try LanguageModel(huggingFace: path, tokenBudget: tokenBudget, threads: threads)
                : try LanguageModel(gguf: path, tokenBudget: tokenBudget, threads: threads)
        } catch {
            throw ModelLoadingError(error.description)
        }
    }
}
