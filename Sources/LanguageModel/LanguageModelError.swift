public import ModelFiles

/// Everything that can go wrong loading or running a decoder, with enough
/// detail (file, key, tensor, sizes) to act on.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    /// `general.architecture` or `model_type` names an architecture this engine does not run.
    case unknownArchitecture(path: String, architecture: String)
    case invalidConfiguration(path: String, reason: String)
    /// A missing, mistyped or wrongly shaped tensor or metadata key.
    case weights(ModelFileError)
    /// The prompt (plus what is already cached) does not fit the KV cache.
    case contextOverflow(needed: Int, budget: Int)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let path, let architecture):
            "\(path): unknown architecture '\(architecture)' (supported: llama, mistral, qwen2)"
        case .invalidConfiguration(let path, let reason): "\(path): \(reason)"
        case .weights(let error): error.description
        case .contextOverflow(let needed, let budget):
            "the sequence needs \(needed) positions but the KV cache holds \(budget) tokens"
        case .invalidInput(let reason): reason
        }
    }
}
