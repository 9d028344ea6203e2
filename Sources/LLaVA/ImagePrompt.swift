import Foundation
public import LanguageModel
public import Tokenizers

/// A prompt with the image's rows spliced in where the text says `<image>`: the text before the
/// marker is tokenized with the vocabulary's BOS, the text after it without; the image rows go
/// between. This is what transformers' processor does (the `<image>` token expanded to one
/// placeholder per image row, each replaced by a row) and what llama.cpp does with its prompt's
/// image marker; both split the text at the marker, so the two agree token for token.
public struct ImagePrompt: Sendable {
    public static let marker = "<image>"

    public let inputs: [LanguageModelInput]
    /// Token ids in the prompt (text positions only).
    public let textTokens: [Int32]
    public let imageRows: Int

    /// - Throws: when the text has an image marker but no image is given, an image but no
    ///   marker, or more than one marker (one image per prompt).
    public init(text: String, image: ImageEmbedding?, tokenizer: LMTokenizer) throws(LLaVAError) {
        let parts = text.components(separatedBy: Self.marker)
        guard parts.count <= 2 else {
            throw .invalidInput("the prompt has \(parts.count - 1) \(Self.marker) markers; one image per prompt is supported")
        }
        guard let image else {
            if parts.count == 2 {
                throw .invalidInput("the prompt has an \(Self.marker) marker but no image was given (--image)")
            }
            let ids = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
            self.init(inputs: ids.map { .token($0) }, textTokens: ids, imageRows: 0)
            return
        }
        guard parts.count == 2 else {
            throw .invalidInput("an image was given but the prompt has no \(Self.marker) marker to put it at")
        }
        let before = tokenizer.encode(parts[0], addSpecial: true, parseSpecial: true)
        let after = parts[1].isEmpty ? [] : tokenizer.encode(parts[1], addSpecial: false, parseSpecial: true)
        self.init(
            inputs: before.map { .token($0) } + image.inputs + after.map { .token($0) },
            textTokens: before + after, imageRows: image.rows)
    }

    private init(inputs: [LanguageModelInput], textTokens: [Int32], imageRows: Int) {
        self.inputs = inputs
        self.textTokens = textTokens
        self.imageRows = imageRows
    }
}
