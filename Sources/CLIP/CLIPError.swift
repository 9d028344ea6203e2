public import ModelFiles

public enum CLIPError: Error, Equatable, CustomStringConvertible {
    case invalidConfiguration(path: String, reason: String)
    case weights(ModelFileError)
    case invalidInput(String)
    case tokenizer(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let path, let reason): "\(path): \(reason)"
        case .weights(let error): error.description
        case .invalidInput(let reason): reason
        case .tokenizer(let reason): reason
        }
    }
}
