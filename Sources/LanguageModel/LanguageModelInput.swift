/// One position of a prompt: a token id, or an embedding row spliced in
/// directly (e.g. an image patch projected into the language model's space).
public enum LanguageModelInput: Sendable, Equatable {
    case token(Int32)
    case embedding([Float])
}
