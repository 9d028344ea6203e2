import Foundation
import Kernels
import LanguageModel

// Decode and prefill speed of the LanguageModel engine on a GGUF file:
//   swift run -c release decoder-bench [--model PATH] [--prompt-tokens 512] [--gen-tokens 128] [--threads 2] [--repeats 3] [--context N]
// Prints one JSON line (prefill_tokens_per_s, decode_tokens_per_s, generated_ids), as
// scripts/reference/bench_llama_cpp.py --sightline-bin expects.

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let key = arguments.popFirst() {
    guard key.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write("usage: decoder-bench [--model PATH] [--prompt-ids FILE.json] [--prompt-tokens N] [--n-gen N] [--threads N] [--repeats N] [--context N]\n".data(using: .utf8)!)
        exit(2)
    }
    options[String(key.dropFirst(2))] = value
}
let model = options["model"] ?? FileManager.default.homeDirectoryForCurrentUser
    .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
let promptTokens = Int(options["prompt-tokens"] ?? "512")!
let generate = Int(options["n-gen"] ?? options["gen-tokens"] ?? "128")!
let threads = Int(options["threads"] ?? "2")!
let repeats = Int(options["repeats"] ?? "3")!
// The KV cache is allocated for the whole context up front, so peak RSS at a 4k context is
// measured by asking for one (the prompt and generation only use part of it).
let context = Int(options["context"] ?? "0")!

BLAS.setThreads(threads)
do {
    var prompt: [Int32]
    if let file = options["prompt-ids"] {
        prompt = try JSONDecoder().decode([Int32].self, from: Data(contentsOf: URL(fileURLWithPath: file)))
    } else {
        // A ChatML robot prompt's ids repeated to the requested length.
        let pattern: [Int32] = [151644, 8948, 198, 2610, 2484, 12305, 11293, 1119, 4718, 9079, 13, 151645, 198,
                                151644, 872, 198, 29531, 705, 279, 2518, 10525, 151645, 198, 151644, 77091, 198]
        prompt = (0..<promptTokens).map { pattern[$0 % pattern.count] }
    }
    let lm = try LanguageModel(gguf: model, tokenBudget: max(context, prompt.count + generate + 1), chunkSize: 64, threads: threads)
    var prefillRates: [Double] = [], decodeRates: [Double] = []
    var generated: [Int32] = []
    for round in 0...repeats {  // round 0 warms up
        lm.reset()
        let start = Date()
        _ = try lm.prefill(prompt.map { .token($0) })
        let prefilled = Date()
        generated = [Int32(lm.argmaxLogits())]
        for _ in 1..<generate {
            _ = try lm.decode(generated.last!)
            generated.append(Int32(lm.argmaxLogits()))
        }
        let done = Date()
        if round > 0 {
            prefillRates.append(Double(prompt.count) / prefilled.timeIntervalSince(start))
            decodeRates.append(Double(generate - 1) / done.timeIntervalSince(prefilled))
        }
        FileHandle.standardError.write("round \(round): prefill \(prefilled.timeIntervalSince(start)) s, decode \(done.timeIntervalSince(prefilled)) s\n".data(using: .utf8)!)
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let result: [String: Any] = [
        "prefill_tokens_per_s": median(prefillRates), "decode_tokens_per_s": median(decodeRates),
        "prefill_rounds": prefillRates, "decode_rounds": decodeRates,
        "prompt_tokens": prompt.count, "gen_tokens": generate, "threads": threads, "generated_ids": generated,
    ]
    print(String(data: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), encoding: .utf8)!)
} catch {
    FileHandle.standardError.write("decoder-bench: \(error)\n".data(using: .utf8)!)
    exit(1)
}
