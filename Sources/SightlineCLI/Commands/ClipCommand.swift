import ArgumentParser
import CLIP
import Foundation
import ThreadSupport
import Imaging
import Kernels
import Tokenizers

struct ClipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Embed images and texts with a CLIP checkpoint and score every image against every text.",
        discussion: """
            Prints image_embeds and text_embeds (L2-normalised), logits_per_image (cosine similarity \
            times exp(logit_scale)) and probs (softmax over the texts for each image). The model folder \
            is a Hugging Face CLIP checkpoint: config.json, model.safetensors (or shards), \
            preprocessor_config.json, and vocab.json + merges.txt or tokenizer.json.
            """)

    @Option(help: "CLIP checkpoint folder.")
    var model: String

    @Option(name: .customLong("image"), help: "An image (JPEG or PNG); repeat for several.")
    var images: [String] = []

    @Option(name: .customLong("text"), help: "A text; repeat for several. Longer than 77 tokens is truncated, with a warning.")
    var texts: [String] = []

    @Option(help: "OpenBLAS threads.")
    var threads: Int = 2

    @OptionGroup var arithmetic: PrecisionOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !images.isEmpty || !texts.isEmpty else { throw ValidationError("give at least one --image or --text") }
        if let empty = texts.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw ValidationError("--text number \(empty + 1) is empty")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
    }

    struct Output: Encodable {
        var imageEmbeds: [[Float]]
        var textEmbeds: [[Float]]
        var logitsPerImage: [[Float]]
        var probs: [[Float]]

        enum CodingKeys: String, CodingKey {
            case imageEmbeds = "image_embeds", textEmbeds = "text_embeds"
            case logitsPerImage = "logits_per_image", probs
        }
    }

    func run() async throws {
        let (path, imagePaths, texts, threads, arithmetic) = (model, images, self.texts, self.threads, self.arithmetic)
        let output = try await onDedicatedThread("sightline.clip") { () throws -> Output in
            BLAS.setThreads(threads)
            let precision = arithmetic.apply(threads: threads)
            do throws(CLIPError) {
                let clip = try CLIPModel(directory: path, precision: precision)
                var images: [RGBImage] = []
                for imagePath in imagePaths {
                    do throws(ImagingError) { images.append(try ImageFile.read(imagePath)) } catch { throw CLIPError.invalidInput(error.description) }
                }
                var ids: [[Int32]] = []
                if !texts.isEmpty {
                    let tokenizer = try clip.loadTokenizer()
                    for text in texts {
                        let full = tokenizer.tokenIDs(text).count + 2
                        if full > tokenizer.contextLength {
                            printError("sightline: warning: text '\(text.prefix(40))…' has \(full) tokens; using the first \(tokenizer.contextLength)")
                        }
                        ids.append(tokenizer.encode(text))
                    }
                }
                let imageEmbeds = images.isEmpty ? [] : try clip.imageEmbeddings(images)
                let textEmbeds = ids.isEmpty ? [] : try clip.textEmbeddings(ids)
                let logits = clip.logits(images: imageEmbeds, texts: textEmbeds)
                return Output(
                    imageEmbeds: imageEmbeds, textEmbeds: textEmbeds, logitsPerImage: logits,
                    probs: logits.map { $0.isEmpty ? [] : softmax($0) })
            } catch {
                throw CommandFailure(error.description)
            }
        }
        if json {
            print(JSONLines.line(output))
        } else {
            for (i, path) in images.enumerated() {
                print(path)
                let ranked = zip(texts, output.probs[i]).sorted { $0.1 > $1.1 }
                for (text, p) in ranked { print(String(format: "  %6.2f%%  %@", p * 100, text)) }
            }
            if images.isEmpty { print("embedded \(texts.count) texts (use --json to print the embeddings)") }
            if texts.isEmpty { print("embedded \(images.count) images (use --json to print the embeddings)") }
        }
    }
}
