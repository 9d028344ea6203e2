/// What a model needs from a tokenizer. Models depend on this instead of a concrete
/// tokenizer so that tests can substitute a tiny one and other vocabularies can follow.
public protocol Tokenizer: Sendable {
    /// Token ids for `text`, with whatever start/end tokens and length limit the
    /// tokenizer's model expects.
    func encode(_ text: String) throws -> [Int32]
    /// The text that `ids` stand for, without start/end or padding tokens.
    func decode(_ ids: [Int32]) -> String
    /// Number of ids the model's embedding table must have (largest id + 1).
    var vocabularySize: Int { get }
}

/// Everything that can go wrong loading or using a tokenizer; each file error names the file.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadableFile(path: String, reason: String)
    case malformedGzip(path: String, reason: String)
    case malformedVocabulary(path: String, reason: String)
    case malformedMerges(path: String, line: Int, reason: String)
    case malformedTokenizerJSON(path: String, reason: String)
    case invalidContextLength(Int)
    /// A language-model vocabulary whose `tokenizer.ggml.model` (or tokenizer.json model) is not implemented.
    case unsupportedTokenizerModel(path: String, model: String)
    /// A `tokenizer.ggml.pre` (or tokenizer.json pre-tokenizer) that is not implemented.
    case unknownPreTokenizer(path: String, name: String)
    /// A language-model tokenizer key that is missing, mistyped or inconsistent.
    case malformedTokenizerMetadata(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "tokenizer file \(path) does not exist"
        case .unreadableFile(let path, let reason):
            return "cannot read tokenizer file \(path): \(reason)"
        case .malformedGzip(let path, let reason):
            return "\(path) is not a valid gzip file: \(reason)"
        case .malformedVocabulary(let path, let reason):
            return "malformed vocabulary \(path): \(reason)"
        case .malformedMerges(let path, let line, let reason):
            return "malformed merges file \(path), line \(line): \(reason)"
        case .malformedTokenizerJSON(let path, let reason):
            return "malformed tokenizer.json \(path): \(reason)"
        case .invalidContextLength(let length):
            return "context length \(length) leaves no room for the start and end tokens (need at least 2)"
        case .unsupportedTokenizerModel(let path, let model):
            return "\(path): tokenizer model '\(model)' is not supported (need 'gpt2' or 'llama')"
        case .unknownPreTokenizer(let path, let name):
            return "\(path): unknown pre-tokenizer '\(name)'"
        case .malformedTokenizerMetadata(let path, let key, let reason):
            return "\(path): tokenizer key '\(key)': \(reason)"
        }
    }

    /// The file the error is about, if any.
    public var path: String? {
        switch self {
        case .missingFile(let path), .unreadableFile(let path, _), .malformedGzip(let path, _),
            .malformedVocabulary(let path, _), .malformedMerges(let path, _, _),
            .malformedTokenizerJSON(let path, _), .unsupportedTokenizerModel(let path, _),
            .unknownPreTokenizer(let path, _), .malformedTokenizerMetadata(let path, _, _):
            return path
        case .invalidContextLength:
            return nil
        }
    }
}

/// A token or other file text quoted for an error message: control and other
/// invisible characters escaped so that the message stays on one line.
func quoted(_ scalars: some Sequence<Unicode.Scalar>, limit: Int = 40) -> String {
    var out = "'"
    var count = 0
    for scalar in scalars {
        if count == limit {
            out += "…"
            break
        }
        count += 1
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default:
            if scalar == "'" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
    }
    return out + "'"
}
