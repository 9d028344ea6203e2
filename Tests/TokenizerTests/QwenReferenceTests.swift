import Testing
@testable import Tokenizers

/// llama.cpp's ids on the real Qwen2.5-Coder GGUF (Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m,
/// scripts/reference/make_qwen_references.py). Skipped when the model file is absent.
@Suite(.enabled(if: LMFixtures.hasQwenGGUF, "needs ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))
struct QwenReferenceTests {
    let lines: [JSONValue]
    let tokenizer: LMTokenizer

    init() throws {
        lines = try LMFixtures.jsonLines(LMFixtures.qwenDirectory + "/tokenization.jsonl")
        tokenizer = try LMFixtures.qwen.get()
    }

    @Test func everyLineMatchesWithParseSpecial() throws {
        #expect(lines.count >= 250)
        var mismatches: [String] = []
        for line in lines {
            let text = try #require(line[member: "text"]?.text)
            let expected = try #require(line[member: "ids"]?.ids)
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: true)
            if ids != expected { mismatches.append("line \(line[member: "id"]?.intValue ?? -1): \(ids) != \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func everyLineMatchesWithoutParseSpecial() throws {
        var mismatches: [String] = []
        for line in lines {
            let text = try #require(line[member: "text"]?.text)
            let expected = try #require((line[member: "ids_special_false"] ?? line[member: "ids"])?.ids)
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            if ids != expected { mismatches.append("line \(line[member: "id"]?.intValue ?? -1): \(ids) != \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func addSpecialAddsNothing() throws {
        // add_bos_token = false and no add_eos_token: llama_tokenize(add_special=true) adds nothing.
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.vocabulary.bosID == 151643)
        #expect(tokenizer.vocabulary.eosID == 151645)
        #expect(tokenizer.encode("Hello world", addSpecial: true, parseSpecial: true) == [9707, 1879])
    }

    @Test func piecesMatch() throws {
        var checked = 0
        for line in lines {
            guard let hex = line[member: "pieces_hex"], case .array(let items) = hex else { continue }
            let ids = try #require(line[member: "ids"]?.ids)
            for (id, item) in zip(ids, items) {
                #expect(tokenizer.piece(id, special: true) == hexBytes(try #require(item.text)), "token \(id)")
                checked += 1
            }
        }
        #expect(checked > 1000)
    }

    @Test func detokenizeMatches() throws {
        var checked = 0
        for line in lines {
            guard let detok = line[member: "detokenize"] else { continue }
            let ids = try #require(line[member: "ids"]?.ids)
            for (key, unparse) in [("unparse_special_true", true), ("unparse_special_false", false)] {
                guard let want = detok[member: key] else { continue }
                let expected: [UInt8] = if let text = want[member: "text"]?.text { Array(text.utf8) } else { hexBytes(try #require(want[member: "hex"]?.text)) }
                #expect(tokenizer.detokenize(ids, removeSpecial: false, unparseSpecial: unparse) == expected, "line \(line[member: "id"]?.intValue ?? -1) \(key)")
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    @Test func specialAttributesMatchLlamaCpp() throws {
        let metadata = try LMFixtures.json(LMFixtures.qwenDirectory + "/metadata.json")
        let attributes = try #require(metadata[member: "llama_cpp_vocab_attributes"])
        guard case .array(let entries) = try #require(attributes[member: "control_or_user_defined"]) else { Issue.record("no list"); return }
        let expected = Set(entries.compactMap { $0[member: "id"]?.intValue.map(Int32.init) })
        let v = tokenizer.vocabulary
        let ours = Set((0..<Int32(v.count)).filter { !v.attributes[Int($0)].isDisjoint(with: [.control, .userDefined]) })
        #expect(ours == expected)
        #expect(v.endOfGenerationIDs == [128247, 151643, 151645, 151662, 151663, 151664])
    }
}

extension QwenReferenceTests {
    /// The 7 prompts (raw and ChatML) of prompts.json, tokenized as llama.cpp did for the logits.
    @Test func promptsMatch() throws {
        let prompts = try LMFixtures.json(LMFixtures.qwenDirectory + "/prompts.json")
        guard case .array(let items) = try #require(prompts[member: "prompts"]) else { Issue.record("no prompts"); return }
        #expect(items.count == 7)
        for item in items {
            let text = try #require(item[member: "text"]?.text)
            let expected = try #require(item[member: "token_ids"]?.ids)
            #expect(tokenizer.encode(text, addSpecial: true, parseSpecial: true) == expected, "\(item[member: "name"]?.text ?? "?")")
        }
    }
}
