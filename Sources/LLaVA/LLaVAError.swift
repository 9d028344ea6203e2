public import CLIP
public import LanguageModel
public import ModelFiles

/// Everything that can go wrong loading or running LLaVA, naming the file, key or size at fault.
public enum LLaVAError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(path: String, reason: String)
    /// A projector this engine does not run (the name as the checkpoint gives it).
    case unsupportedProjector(path: String, type: String)
    /// The projector's output width is not the language model's hidden size.
    case projectorWidthMismatch(projector: Int, languageModel: Int)
    case weights(ModelFileError)
    case vision(CLIPError)
    case languageModel(LanguageModelError)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let path, let reason): "\(path): \(reason)"
        case .unsupportedProjector(let path, let type):
            "\(path): projector type '\(type)' is not supported (LLaVA-1.5's mlp2x_gelu — llama.cpp's 'mlp' — or linear)"
        case .projectorWidthMismatch(let projector, let languageModel):
            "the vision projector outputs \(projector) values per image token but the language model's hidden size is \(languageModel); the mmproj file does not belong to this language model"
        case .weights(let error): error.description
        case .vision(let error): error.description
        case .languageModel(let error): error.description
        case .invalidInput(let reason): reason
        }
    }
}
