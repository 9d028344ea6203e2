import Foundation
import StructuredOutput
import TestSupport
import Testing
import Tokenizers

/// Property: whatever allowed tokens a generator picks, the output parses and validates.
/// Random walks pick among the tokens the mask allows (half the time a single-byte token, to
/// reach escapes, split UTF-8 characters and number edges), ending with end-of-generation
/// only where it is allowed; the independent validator judges the result.
@Suite struct RandomWalkTests {
    struct Walk {
        var text: [UInt8] = []
        var tokens: [Int32] = []
        var endedWithEOS = false
    }

    /// A 64-bit LCG, so a failing walk can be replayed from its seed.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func walk(_ schema: JSONSchema, trie: TokenTrie, pieces: (Int32) -> [UInt8], seed: UInt64, maxSteps: Int = 3000) throws -> Walk {
        let constraint = JSONSchemaConstraint(schema: schema, trie: trie)
        var random = Random(state: seed)
        var walk = Walk()
        let eos: Int32 = Int32(trie.vocabularySize)  // a stand-in id outside the vocabulary
        for _ in 0..<maxSteps {
            if constraint.isComplete { return walk }
            let allowed = constraint.allowedTokens()
            var choices = allowed
            if random.next(2) == 0 {
                let single = allowed.filter { pieces($0).count == 1 }
                if !single.isEmpty { choices = single }
            }
            if constraint.isAccepting && (choices.isEmpty || random.next(4) == 0) {
                walk.endedWithEOS = true
                return walk
            }
            try #require(!choices.isEmpty, "no token allowed after \(String(decoding: walk.text, as: UTF8.self).debugDescription)")
            let token = choices[random.next(choices.count)]
            try constraint.advance(token)
            walk.tokens.append(token)
            walk.text += pieces(token)
            #expect(token != eos)
        }
        Issue.record("the walk did not end in \(maxSteps) steps: \(String(decoding: walk.text, as: UTF8.self).debugDescription)")
        return walk
    }

    static func check(tokenizer: LMTokenizer, walks: Int) throws {
        let trie = TokenTrie.shared(for: tokenizer)
        #expect(TokenTrie.shared(for: tokenizer) === trie, "the trie is built once per tokenizer")
        let special = (0..<tokenizer.vocabularySize).filter {
            !tokenizer.vocabulary.attributes[$0].isDisjoint(with: [.control, .userDefined, .unknown, .unused])
        }
        for (name, schemaText) in TestSchemas.all {
            let schema = try JSONSchema(json: schemaText)
            for seed in 0..<UInt64(walks) {
                let walk = try walk(schema, trie: trie, pieces: { tokenizer.piece($0) }, seed: seed)
                #expect(!walk.tokens.contains { special.contains(Int($0)) }, "a special token was allowed")
                guard let text = String(validating: walk.text, as: UTF8.self) else {
                    Issue.record("\(name) seed \(seed): not UTF-8: \(walk.text)")
                    continue
                }
                #expect(validationProblem(text, schema: schemaText) == nil, "\(name) seed \(seed): \(validationProblem(text, schema: schemaText) ?? "")")
                // What the generator shows the user (its streaming detokenizer) is the same text.
                var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
                let shown = walk.tokens.map { detokenizer.append($0) }.joined() + detokenizer.finish()
                #expect(shown == text, "\(name) seed \(seed)")
            }
        }
    }

    @Test(arguments: ["tokenizers/gpt2-default.gguf", "tokenizers/spm-bpe.gguf", "tiny/qwen2-gqa-tied-qkvbias/model-f32.gguf"])
    func walksOnCommittedTokenizersAlwaysValidate(fixture: String) throws {
        try Self.check(tokenizer: try LMTokenizer(ggufPath: Fixtures.path(fixture)), walks: 40)
    }

    @Test(.enabled(if: LocalModels.hasQwenCoder, "needs the Qwen2.5 GGUF (make models)"))
    func walksOnTheQwenVocabularyAlwaysValidate() throws {
        try Self.check(tokenizer: try LMTokenizer(ggufPath: LocalModels.qwenCoderPath), walks: BuildConfiguration.isOptimized ? 25 : 2)
    }

    /// The mask is exactly the set of tokens whose bytes the automaton accepts from the
    /// current state, checked token by token (no trie, no plain-text shortcut) along a
    /// random walk, on vocabularies with special tokens.
    static func checkMaskAgainstTokenByToken(_ tokenizer: LMTokenizer, schemaText: String, steps: Int, seed: UInt64) throws {
        let schema = try JSONSchema(json: schemaText)
        let constraint = JSONSchemaConstraint(schema: schema, trie: TokenTrie(tokenizer: tokenizer))
        var matcher = schema.matcher()
        var random = Random(state: seed)
        for _ in 0..<steps where !constraint.isComplete {
            let allowed = Set(constraint.allowedTokens())
            var expected = Set<Int32>()
            for id in 0..<Int32(tokenizer.vocabularySize) {
                let attributes = tokenizer.vocabulary.attributes[Int(id)]
                guard attributes == .normal || attributes == .byte else { continue }
                var copy = matcher
                let piece = tokenizer.piece(id)
                if !piece.isEmpty && copy.feed(piece) { expected.insert(id) }
            }
            let extra = allowed.subtracting(expected), missing = expected.subtracting(allowed)
            #expect(extra.isEmpty && missing.isEmpty,
                    "masked in but refused token by token: \(extra.sorted().prefix(8)); acceptable but masked out: \(missing.sorted().prefix(8))")
            #expect(constraint.isAccepting == matcher.isAccepting)
            // Prefer short tokens half the time, to get inside escapes and split characters.
            var choices = allowed.sorted()
            if random.next(2) == 0 {
                let short = choices.filter { tokenizer.piece($0).count <= 2 }
                if !short.isEmpty { choices = short }
            }
            guard !choices.isEmpty else { break }
            let token = choices[random.next(choices.count)]
            try constraint.advance(token)
            let fed = matcher.feed(tokenizer.piece(token))
            #expect(fed)
        }
    }

    /// mask() keeps the allowed logits as they were, sets the others to -inf, and lets an
    /// end token through only where the document may end.
    @Test func maskKeepsAllowedLogitsAndEndsOnlyWhenComplete() throws {
        let tokenizer = try LMTokenizer(ggufPath: Fixtures.path("tokenizers/gpt2-default.gguf"))
        let eos = try #require(tokenizer.vocabulary.endOfGenerationIDs.first)
        let constraint = JSONSchemaConstraint(schema: try JSONSchema(json: TestSchemas.topLevelInteger), tokenizer: tokenizer)
        let row = (0..<(tokenizer.vocabularySize + 3)).map { Float($0) * 0.5 - 7 }
        func masked() throws -> [Float] {
            var logits = row
            try constraint.mask(&logits, endTokens: [eos])
            return logits
        }
        func token(_ text: String) throws -> Int32 {
            try #require((0..<Int32(tokenizer.vocabularySize)).first { tokenizer.piece($0) == Array(text.utf8) })
        }
        var logits = try masked()
        let allowed = Set(constraint.allowedTokens())
        for (id, value) in logits.enumerated() {
            #expect(value == (allowed.contains(Int32(id)) ? row[id] : -.infinity), "token \(id)")
        }
        #expect(logits[Int(eos)] == -.infinity, "nothing written yet: no end")
        let minus = try token("-"), three = try token("3"), zero = try token("0"), five = try token("5"), letter = try token("a")
        #expect(allowed.contains(minus) && allowed.contains(three) && !allowed.contains(letter))
        try constraint.advance(three)
        logits = try masked()
        #expect(logits[Int(eos)] == row[Int(eos)], "3 is a complete integer in range")
        #expect(logits[Int(zero)] == row[Int(zero)], "30 is still possible")
        try constraint.advance(zero)
        try constraint.advance(five)
        logits = try masked()
        #expect(logits.enumerated().allSatisfy { $0.offset == Int(eos) || $0.element == -.infinity }, "305 is the largest: only the end")
        #expect(constraint.isComplete, "nothing can follow 305, so the generator stops there")
        try constraint.advance(eos)
        let one = try token("1")
        #expect(throws: (any Error).self) { try constraint.advance(one) }
    }

    @Test(arguments: ["tokenizers/gpt2-default.gguf", "tokenizers/spm-bpe.gguf"])
    func theMaskIsTheTokensTheAutomatonAccepts(fixture: String) throws {
        let tokenizer = try LMTokenizer(ggufPath: Fixtures.path(fixture))
        for (i, (_, schema)) in TestSchemas.all.enumerated() {
            try Self.checkMaskAgainstTokenByToken(tokenizer, schemaText: schema, steps: 60, seed: UInt64(i))
        }
    }

    @Test(.enabled(if: LocalModels.hasQwenCoder, "needs the Qwen2.5 GGUF (make models)"))
    func theMaskIsTheTokensTheAutomatonAcceptsOnQwen() throws {
        let tokenizer = try LMTokenizer(ggufPath: LocalModels.qwenCoderPath)
        let steps = BuildConfiguration.isOptimized ? 40 : 6
        try Self.checkMaskAgainstTokenByToken(tokenizer, schemaText: TestSchemas.taskIntent, steps: steps, seed: 1)
        try Self.checkMaskAgainstTokenByToken(tokenizer, schemaText: TestSchemas.everything, steps: steps, seed: 2)
    }
}
