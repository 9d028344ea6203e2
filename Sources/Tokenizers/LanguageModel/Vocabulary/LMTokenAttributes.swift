/// llama.cpp's `llama_token_attr` bits, derived from the GGUF `tokenizer.ggml.token_type`.
public struct LMTokenAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let unknown = LMTokenAttributes(rawValue: 1 << 0)
    public static let unused = LMTokenAttributes(rawValue: 1 << 1)
    public static let normal = LMTokenAttributes(rawValue: 1 << 2)
    public static let control = LMTokenAttributes(rawValue: 1 << 3)
    public static let userDefined = LMTokenAttributes(rawValue: 1 << 4)
    public static let byte = LMTokenAttributes(rawValue: 1 << 5)
    public static let lstrip = LMTokenAttributes(rawValue: 1 << 7)
    public static let rstrip = LMTokenAttributes(rawValue: 1 << 8)

    /// The attribute of a GGUF token type (llama_token_type: 0 undefined, 1 normal,
    /// 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte); others are undefined (empty).
    public init(ggufTokenType type: Int) {
        switch type {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }

    /// Tokens matched literally in the text before BPE (llama.cpp's special-token cache).
    static let matchedInText: LMTokenAttributes = [.control, .userDefined, .unknown]
    /// Tokens a detokenizer drops unless asked to render special tokens.
    static let special: LMTokenAttributes = [.control, .unknown]
}
