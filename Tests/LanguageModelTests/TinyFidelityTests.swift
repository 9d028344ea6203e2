import Foundation
import LanguageModel
import ModelFiles
import Testing

/// The decoder against transformers (float32, eager) and llama.cpp on the tiny random
/// LLaMA (GQA, untied) and Qwen2 (GQA, tied, QKV bias) checkpoints of Tests/Fixtures/lm/tiny
/// (scripts/reference/make_tiny_lm_fixtures.py).
@Suite struct TinyFidelityTests {
    static let models = ["llama-gqa-untied", "qwen2-gqa-tied-qkvbias"]

    enum Source: String, CaseIterable {
        case huggingFace = "hf", ggufF32 = "model-f32.gguf", ggufQ8 = "model-q8_0.gguf"
    }

    static func load(_ model: String, _ source: Source, chunkSize: Int = 64, kv: KVCachePrecision = .float32) throws -> LanguageModel {
        let path = LMFixtures.path("tiny/\(model)/\(source.rawValue)")
        return source == .huggingFace
            ? try LanguageModel(huggingFace: path, tokenBudget: 64, chunkSize: chunkSize, kvPrecision: kv)
            : try LanguageModel(gguf: path, tokenBudget: 64, chunkSize: chunkSize, kvPrecision: kv)
    }

    @Test(arguments: models, [Source.huggingFace, .ggufF32])
    func float32LogitsAndGreedyMatchTransformers(model: String, source: Source) throws {
        let reference = try LMFixtures.decode(TinyReference.self, "tiny/\(model)/reference.json")
        // Chunks of 5 make the 12- and 20-token prompts span several prefill passes.
        let lm = try Self.load(model, source, chunkSize: 5)
        for sequence in reference.sequences {
            lm.reset()
            let rows = try lm.prefillAllLogits(sequence.ids.tokens)
            let error = zip(rows, sequence.logits).map { maxAbsDifference($0, $1) }.max()!
            print("[tiny \(model) \(source.rawValue)] \(sequence.name): max abs logit error vs transformers \(error)")
            #expect(error <= 1e-3, "\(model) \(source) \(sequence.name)")
            lm.reset()
            let greedy = try lm.greedy(prompt: sequence.ids.tokens, maxNewTokens: sequence.greedy_ids.count)
            #expect(greedy == sequence.greedy_ids, "\(model) \(source) \(sequence.name)")
        }
    }

    @Test(arguments: models)
    func q8_0GreedyMatchesLlamaCpp(model: String) throws {
        let reference = try LMFixtures.decode(TinyReference.self, "tiny/\(model)/reference.json")
        let llamaCpp = try LMFixtures.decode(TinyLlamaCpp.self, "tiny/\(model)/llama_cpp.json")
        let run = try #require(llamaCpp.runs.first { $0.gguf == "model-q8_0.gguf" })
        // llama.cpp ran with its default F16 KV cache.
        let lm = try Self.load(model, .ggufQ8, kv: .float16)
        for sequence in reference.sequences {
            let expected = try #require(run.sequences.first { $0.name == sequence.name })
            lm.reset()
            let rows = try lm.prefillAllLogits(sequence.ids.tokens)
            let vsTransformers = zip(rows, sequence.logits).map { maxAbsDifference($0, $1) }.max()!
            let vsDequantized = zip(rows, sequence.logits_q8_0_dequantized).map { maxAbsDifference($0, $1) }.max()!
            let vsLlamaCpp = maxAbsDifference(rows.last!, expected.last_position_logits)
            print("[tiny \(model) Q8_0] \(sequence.name): max abs error vs transformers f32 \(vsTransformers), vs dequantized-Q8_0 transformers \(vsDequantized), last position vs llama.cpp \(vsLlamaCpp)")
            lm.reset()
            let greedy = try lm.greedy(prompt: sequence.ids.tokens, maxNewTokens: expected.greedy_ids.count)
            #expect(greedy == expected.greedy_ids, "\(model) Q8_0 \(sequence.name) vs llama.cpp")
        }
    }

    /// Decoding one token at a time gives the logits of the batched prefill.
    @Test(arguments: models)
    func incrementalDecodeEqualsPrefill(model: String) throws {
        let reference = try LMFixtures.decode(TinyReference.self, "tiny/\(model)/reference.json")
        let sequence = reference.sequences.last!
        let lm = try Self.load(model, .ggufQ8)
        let batched = try lm.prefillAllLogits(sequence.ids.tokens)
        lm.reset()
        var stepwise: [[Float]] = [try lm.prefill([.token(sequence.ids[0])])]
        for id in sequence.ids.dropFirst() { stepwise.append(try lm.decode(id)) }
        let error = zip(batched, stepwise).map { maxAbsDifference($0, $1) }.max()!
        #expect(error <= 1e-4)
        #expect(lm.position == sequence.ids.count)
    }

    /// Embedding rows spliced into the input act exactly like the tokens they embed.
    @Test func embeddingInputsActLikeTokens() throws {
        let model = Self.models[1]
        let reference = try LMFixtures.decode(TinyReference.self, "tiny/\(model)/reference.json")
        let sequence = reference.sequences[1]
        let lm = try Self.load(model, .huggingFace)
        let table = try SafetensorsFile(path: LMFixtures.path("tiny/\(model)/hf/model.safetensors"))
            .floats("model.embed_tokens.weight").values
        let hidden = lm.configuration.hiddenSize
        var inputs = sequence.ids.tokens
        for i in [2, 3, 7] {
            let id = Int(sequence.ids[i])
            inputs[i] = .embedding(Array(table[(id * hidden)..<((id + 1) * hidden)]))
        }
        let logits = try lm.prefill(inputs)
        #expect(maxAbsDifference(logits, sequence.logits.last!) <= 1e-3)
    }
}

/// A shared prefix is evaluated once and each request continues from it: after
/// running a different continuation and rewinding, the real continuation's
/// logits still match transformers' logits of the whole sequence.
@Suite struct PrefixReuseTests {
    @Test(arguments: TinyFidelityTests.models)
    func rewindToASharedPrefixKeepsItsKeysAndValues(model: String) throws {
        let reference = try LMFixtures.decode(TinyReference.self, "tiny/\(model)/reference.json")
        let sequence = try #require(reference.sequences.max { $0.ids.count < $1.ids.count })
        let tokens = sequence.ids.tokens
        let split = tokens.count / 2
        let lm = try TinyFidelityTests.load(model, .huggingFace, chunkSize: 4)
        _ = try lm.prefill(Array(tokens[..<split]))
        // Another request's tokens (the reversed suffix) run after the prefix, then are forgotten.
        _ = try lm.prefill(Array(tokens[split...].reversed()))
        try lm.rewind(to: split)
        let rows = try lm.prefillAllLogits(Array(tokens[split...]))
        let error = zip(rows, sequence.logits[split...]).map { maxAbsDifference($0, $1) }.max()!
        #expect(error <= 1e-3)
        #expect(throws: LanguageModelError.self) { try lm.rewind(to: tokens.count + 1) }
    }
}
