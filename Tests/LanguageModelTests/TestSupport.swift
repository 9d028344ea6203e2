import Foundation
import LanguageModel
import TestSupport

enum LMFixtures {
    static let root = RepositoryPaths.fixtures.appendingPathComponent("lm")
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func decode<T: Decodable>(_ type: T.Type, _ relative: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: root.appendingPathComponent(relative)))
    }
}

/// transformers' outputs for a tiny checkpoint (`reference.json`).
struct TinyReference: Decodable {
    struct Sequence: Decodable {
        var name: String
        var ids: [Int32]
        var logits: [[Float]]
        var logits_q8_0_dequantized: [[Float]]
        var greedy_ids: [Int32]
        var greedy_ids_q8_0_dequantized: [Int32]
    }
    var sequences: [Sequence]
}

/// llama.cpp's runs on the same ids (`llama_cpp.json`).
struct TinyLlamaCpp: Decodable {
    struct Run: Decodable {
        struct Sequence: Decodable {
            var name: String
            var ids: [Int32]
            var greedy_ids: [Int32]
            var last_position_logits: [Float]
        }
        var gguf: String
        var kv_cache_type: String
        var sequences: [Sequence]
    }
    var runs: [Run]
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}

func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

extension Array where Element == Int32 {
    var tokens: [LanguageModelInput] { map { .token($0) } }
}
