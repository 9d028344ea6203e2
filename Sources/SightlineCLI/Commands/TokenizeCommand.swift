import ArgumentParser
import CLIP
import Foundation
import Tokenizers

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids a model's tokenizer gives for a text.",
        discussion: """
            --clip TEXT uses the CLIP tokenizer of the checkpoint folder (tokenizer.json, or vocab.json + \
            merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz), with the start and end tokens and \
            truncation to 77 tokens, exactly as transformers' CLIPTokenizer(truncation=True).
            """)

    @Option(help: "Model folder holding the tokenizer files.")
    var model: String

    @Option(help: "The text to tokenize with the CLIP tokenizer.")
    var clip: String

    @Flag(help: "Print {\"ids\": [...]}.")
    var json = false

    struct Output: Encodable { var ids: [Int32] }

    func run() throws {
        let tokenizer: CLIPTokenizer
        do {
            tokenizer = try CLIPTokenizer(directory: model)
        } catch {
            throw CommandFailure(error.description)
        }
        let ids = tokenizer.encode(clip)
        if json {
            print(JSONLines.line(Output(ids: ids)))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
