import Foundation
import Generation
import LanguageModel
import Testing
import Tokenizers

/// The generator on the tiny random Qwen2 and LLaMA GGUFs of Tests/Fixtures/lm/tiny.
@Suite struct GeneratorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lm/tiny")
    static let models = ["qwen2-gqa-tied-qkvbias", "llama-gqa-untied"]

    struct Reference: Decodable {
        struct Sequence: Decodable { var name: String; var ids: [Int32]; var greedy_ids: [Int32] }
        var sequences: [Sequence]
    }

    static func reference(_ model: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: root.appendingPathComponent("\(model)/reference.json")))
    }

    static func generator(_ model: String, budget: Int = 64) throws -> Generator {
        let path = root.appendingPathComponent("\(model)/model-f32.gguf").path
        return Generator(model: try LanguageModel(gguf: path, tokenBudget: budget), tokenizer: try LMTokenizer(ggufPath: path))
    }

    @Test(arguments: models)
    func greedyReproducesTheReferenceAndLanguageModelGreedy(model: String) throws {
        let generator = try Self.generator(model)
        for sequence in try Self.reference(model).sequences {
            generator.model.reset()
            var pieces: [String] = []
            let result = try generator.generate(
                prompt: sequence.ids, options: .init(maxTokens: sequence.greedy_ids.count, stopTokens: []), onText: { pieces.append($0) })
            #expect(result.tokens == sequence.greedy_ids, "\(model) \(sequence.name)")
            #expect(result.stopReason == .maxTokens)
            #expect(result.promptTokens == sequence.ids.count)
            #expect(pieces.count == result.tokens.count, "one callback per token")
            #expect(pieces.joined() == result.text)
            #expect(result.text == generator.tokenizer.decode(result.tokens))
            #expect(result.timings.decodedTokens == result.tokens.count - 1)
            #expect(result.timings.prefillMs > 0 && result.timings.decodeMs > 0 && result.timings.tokensPerSecond > 0)

            // With the tokenizer's end-of-generation set, as LanguageModel.greedy with those stop tokens.
            let eog = generator.tokenizer.vocabulary.endOfGenerationIDs
            generator.model.reset()
            let expected = try generator.model.greedy(prompt: sequence.ids.map { .token($0) }, maxNewTokens: 16, stopTokens: eog)
            generator.model.reset()
            let stopped = try generator.generate(prompt: sequence.ids, options: .init(maxTokens: 16))
            #expect(stopped.tokens == expected)
            if let last = stopped.tokens.last, eog.contains(last) { #expect(stopped.stopReason == .endOfGeneration(last)) }
        }
    }

    @Test func stopStringsEndTheTextBeforeThemEvenAcrossTokens() throws {
        let generator = try Self.generator("qwen2-gqa-tied-qkvbias")
        let prompt = try Self.reference("qwen2-gqa-tied-qkvbias").sequences[1].ids
        let full = try generator.generate(prompt: prompt, options: .init(maxTokens: 16, stopTokens: []))
        let scalars = Array(full.text.unicodeScalars)
        try #require(scalars.count >= 8, "the greedy text is too short: \(full.text.debugDescription)")
        // A stop string straddling several tokens' text, from the middle.
        var stop = ""
        stop.unicodeScalars.append(contentsOf: scalars[3..<7])
        let expectedText = String(full.text[..<full.text.range(of: stop)!.lowerBound])
        generator.model.reset()
        var pieces: [String] = []
        let result = try generator.generate(
            prompt: prompt, options: .init(maxTokens: 16, stopStrings: ["never appears \u{1}", stop], stopTokens: []), onText: { pieces.append($0) })
        #expect(result.stopReason == .stopString(stop))
        #expect(result.text == expectedText)
        #expect(pieces.joined() == expectedText)
        #expect(!pieces.contains { $0.contains(stop) })
        #expect(result.tokens == Array(full.tokens.prefix(result.tokens.count)))
        #expect(result.tokens.count < full.tokens.count)
    }

    @Test func maxTokensAndCancellation() throws {
        let generator = try Self.generator("llama-gqa-untied")
        let prompt = try Self.reference("llama-gqa-untied").sequences[1].ids
        let five = try generator.generate(prompt: prompt, options: .init(maxTokens: 5, stopTokens: []))
        #expect(five.tokens.count == 5 && five.stopReason == .maxTokens)
        #expect(five.timings.decodedTokens == 4)

        generator.model.reset()
        var seen = 0
        let cancelled = try generator.generate(
            prompt: prompt, options: .init(maxTokens: 16, stopTokens: []), isCancelled: { seen >= 3 }, onText: { _ in seen += 1 })
        #expect(cancelled.stopReason == .cancelled)
        #expect(cancelled.tokens == Array(five.tokens.prefix(3)))
    }

    @Test func aFullCacheEndsGenerationAndAnOverlongPromptIsAnError() throws {
        let generator = try Self.generator("qwen2-gqa-tied-qkvbias", budget: 14)
        let prompt = try Self.reference("qwen2-gqa-tied-qkvbias").sequences[1].ids  // 12 tokens
        let result = try generator.generate(prompt: prompt, options: .init(maxTokens: 16, stopTokens: []))
        #expect(result.stopReason == .contextFull)
        #expect(result.tokens.count == 3)  // two decoded into the last free positions, then a third sampled
        generator.model.reset()
        #expect(throws: LanguageModelError.contextOverflow(needed: 20, budget: 14)) {
            try generator.generate(prompt: Array(repeating: 5, count: 20), options: .init())
        }
        #expect(throws: LanguageModelError.self) { try generator.generate(prompt: prompt, options: .init(maxTokens: 0)) }
        #expect(throws: LanguageModelError.self) {
            try generator.generate(prompt: prompt, options: .init(sampling: .init(temperature: -1)))
        }
    }

    @Test func sampledGenerationIsReproducibleFromItsSeed() throws {
        let generator = try Self.generator("qwen2-gqa-tied-qkvbias")
        let prompt = try Self.reference("qwen2-gqa-tied-qkvbias").sequences[0].ids
        func run(_ seed: UInt64) throws -> [Int32] {
            generator.model.reset()
            return try generator.generate(
                prompt: prompt, options: .init(maxTokens: 12, sampling: .init(temperature: 1.5, seed: seed), stopTokens: [])).tokens
        }
        let a = try run(3)
        #expect(try run(3) == a)
        #expect(try run(4) != a)
    }
}
