import ArgumentParser
import CLIP
import Foundation
import ModelLoading
import Tokenizers

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids a model's tokenizer gives for a text.",
        discussion: """
            TEXT uses the language-model tokenizer of a GGUF file (its tokenizer.ggml.* metadata) or a \
            Hugging Face folder (tokenizer.json), as llama.cpp's llama_tokenize with add_special and \
            parse_special: BOS where the vocabulary asks for it, special tokens written in the text matched. \
            --clip TEXT instead uses the CLIP tokenizer of the checkpoint folder (tokenizer.json, or vocab.json + \
            merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz), with the start and end tokens and \
            truncation to 77 tokens, exactly as transformers' CLIPTokenizer(truncation=True).
            """)

    @Option(help: "GGUF file or model folder holding the tokenizer files.")
    var model: String

    @Argument(help: "The text to tokenize with the language-model tokenizer.")
    var text: String?

    @Option(help: "The text to tokenize with the CLIP tokenizer.")
    var clip: String?

    @Flag(help: "Print {\"ids\": [...]}.")
    var json = false

    struct Output: Encodable { var ids: [Int32] }

    func validate() throws {
        switch (text, clip) {
        case (nil, nil): throw ValidationError("give a TEXT (language-model tokenizer) or --clip TEXT")
        case (.some, .some): throw ValidationError("give a TEXT or --clip TEXT, not both")
        default: break
        }
    }

    func run() throws {
        let ids: [Int32]
        if let clip {
            let tokenizer: CLIPTokenizer
            do {
                tokenizer = try CLIPTokenizer(directory: model)
            } catch {
                throw CommandFailure(error.description)
            }
            ids = tokenizer.encode(clip)
        } else {
            ids = try LanguageModelFiles(model).tokenizer().encode(text!, addSpecial: true, parseSpecial: true)
        }
        if json {
            print(JSONLines.line(Output(ids: ids)))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
