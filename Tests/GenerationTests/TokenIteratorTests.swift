import Foundation
import Generation
import LanguageModel
import Testing

/// The one decode loop, stepped by hand on the tiny random GGUFs against their reference ids.
@Suite struct TokenIteratorTests {
    static func model(_ name: String, budget: Int = 64) throws -> LanguageModel {
        try LanguageModel(gguf: GeneratorTests.root.appendingPathComponent("\(name)/model-f32.gguf").path, tokenBudget: budget)
    }

    /// A prompt prefilled a few inputs per step, then one token per step, gives the reference
    /// greedy continuation; every input the model ran is counted, the last token is never fed.
    @Test(arguments: GeneratorTests.models)
    func chunkedPrefillThenOneTokenPerStepMatchesTheReference(name: String) throws {
        let model = try Self.model(name)
        for sequence in try GeneratorTests.reference(name).sequences {
            model.reset()
            let iterator = try TokenIterator(
                model: model, prompt: sequence.ids.map { .token($0) },
                options: .init(maxTokens: sequence.greedy_ids.count, stopTokens: [], prefillChunk: 5))
            var events: [TokenIterator.Event] = []
            while let event = try iterator.next() { events.append(event) }
            let chunks = events.compactMap { if case .prefilled(let n) = $0 { n } else { nil } }
            #expect(chunks == Array(repeating: 5, count: sequence.ids.count / 5) + (sequence.ids.count % 5 == 0 ? [] : [sequence.ids.count % 5]))
            #expect(events.compactMap { if case .token(let id) = $0 { id } else { nil } } == sequence.greedy_ids, "\(name) \(sequence.name)")
            #expect(iterator.tokens == sequence.greedy_ids)
            #expect(iterator.stopReason == .maxTokens)
            #expect(iterator.evaluated == sequence.ids.count + sequence.greedy_ids.count - 1)
            #expect(model.position == iterator.evaluated)
            #expect(try iterator.next() == nil)
        }
    }

    @Test func aStopTokenIsReturnedThenEndsAndCancelEndsAtOnce() throws {
        let name = GeneratorTests.models[0]
        let model = try Self.model(name)
        let sequence = try GeneratorTests.reference(name).sequences[1]
        // The first token of the continuation not seen before it, as a stop token.
        let ids = sequence.greedy_ids
        let k = try #require((1..<ids.count).first { !ids[..<$0].contains(ids[$0]) }, "the reference repeats one token")
        let stopping = try TokenIterator(model: model, prompt: sequence.ids.map { .token($0) },
                                         options: .init(maxTokens: 16, stopTokens: [ids[k]]))
        while try stopping.next() != nil {}
        #expect(stopping.tokens == Array(ids.prefix(k + 1)))
        #expect(stopping.stopReason == .endOfGeneration(ids[k]))

        model.reset()
        let cancelled = try TokenIterator(model: model, prompt: sequence.ids.map { .token($0) },
                                          options: .init(maxTokens: 16, stopTokens: []))
        #expect(try cancelled.next() == .prefilled(sequence.ids.count))
        #expect(try cancelled.next() == .token(sequence.greedy_ids[0]))
        cancelled.cancel()
        #expect(try cancelled.next() == nil)
        #expect(cancelled.stopReason == .cancelled)
        #expect(model.position == sequence.ids.count)
    }

    @Test func badOptionsAreErrors() throws {
        let model = try Self.model(GeneratorTests.models[0])
        #expect(throws: LanguageModelError.self) { try TokenIterator(model: model, prompt: [.token(1)], options: .init(maxTokens: 0, stopTokens: [])) }
        #expect(throws: LanguageModelError.self) {
            try TokenIterator(model: model, prompt: [.token(1)], options: .init(maxTokens: 4, stopTokens: [], prefillChunk: 0))
        }
        #expect(throws: LanguageModelError.self) { try TokenIterator(model: model, prompt: [], options: .init(maxTokens: 4, stopTokens: [])) }
        #expect(throws: LanguageModelError.self) {
            try TokenIterator(model: model, prompt: [.token(1)], options: .init(maxTokens: 4, sampling: .init(topP: 0), stopTokens: []))
        }
    }
}
