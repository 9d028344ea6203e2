import Imaging
import Testing
@testable import Tokenizers

/// Random text of every kind of character, and damaged tokenizer files: the
/// answer is always well-formed ids or a clean error, never a crash.
@Suite struct FuzzTests {
    /// Pools of code points that exercise different paths: clean-up (controls,
    /// entities, mojibake letters, fullwidth forms, combining marks, line breaks),
    /// the pattern's classes, and byte-level BPE of 1-4 byte characters.
    static let pools: [ClosedRange<UInt32>] = [
        0x00...0x7F, 0x80...0xFF, 0x100...0x24F, 0x300...0x36F, 0x370...0x3FF, 0x400...0x4FF,
        0x590...0x6FF, 0x900...0x97F, 0x1100...0x11FF, 0x1AB0...0x1AFF, 0x2000...0x206F, 0x20A0...0x20CF,
        0x2100...0x218F, 0x2460...0x24FF, 0x2500...0x259F, 0x3000...0x30FF, 0x4E00...0x4E7F, 0xAC00...0xAC7F,
        0xD7B0...0xD7FF, 0xE000...0xE0FF, 0xFB00...0xFB4F, 0xFE00...0xFE0F, 0xFF00...0xFFEF, 0xFFF0...0xFFFF,
        0x10000...0x1007F, 0x1D400...0x1D7FF, 0x1F300...0x1FAFF, 0xE0000...0xE007F, 0xF0000...0xF00FF,
        0x10FFF0...0x10FFFF,
    ]
    static let fragments = ["<|endoftext|>", "<|startoftext|>", "<|", "&amp;", "&#", "&#x1F600;", "Ã", "â€", "\r\n",
                            "'s", "'LL", "\u{1B}[", "Σ", "İ", "ſ", "\u{345}", "  ", "\u{85}"]

    static func randomText(_ rng: inout SplitMix64) -> String {
        var text = ""
        let length = Int(rng.next() % 120)
        for _ in 0..<length {
            if rng.next() % 10 == 0 {
                text += fragments[Int(rng.next() % UInt64(fragments.count))]
                continue
            }
            let pool = pools[Int(rng.next() % UInt64(pools.count))]
            let value = pool.lowerBound + UInt32(rng.next() % UInt64(pool.count))
            if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
        }
        return text
    }

    @Test func randomTextAlwaysGivesWellFormedIDs() throws {
        let tokenizer = try TestSupport.clip()
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<3_000 {
            let text = Self.randomText(&rng)
            let ids = tokenizer.encode(text)
            #expect(ids.count >= 2 && ids.count <= 77)
            #expect(ids.first == 49_406 && ids.last == 49_407)
            #expect(ids.allSatisfy { $0 >= 0 && $0 < 49_408 }, "\(quoted(text.unicodeScalars))")
            _ = tokenizer.decode(ids)
        }
    }

    @Test func damagedFilesNeverCrash() throws {
        let folder = ScratchFolder()
        let vocab = Array(FileWriting.vocabJSON(TinyVocabulary.tokens).utf8)
        let merges = Array(FileWriting.mergesText(TinyVocabulary.merges).utf8)
        let json = Array(FileWriting.tokenizerJSON(TinyVocabulary.tokens, TinyVocabulary.merges, pairs: true).utf8)
        let gz = FileWriting.gzip(Array(FileWriting.openAIMergesText(TinyVocabulary.merges).utf8))
        var rng = SplitMix64(seed: 99)
        var loaded = 0, rejected = 0
        for round in 0..<150 {
            let vocabPath = folder.write("vocab.json", round % 2 == 0 ? Self.damage(vocab, &rng) : vocab)
            let mergesPath = folder.write("merges.txt", round % 2 == 1 ? Self.damage(merges, &rng) : merges)
            let jsonPath = folder.write("tokenizer.json", Self.damage(json, &rng))
            let gzPath = folder.write("bpe.txt.gz", Self.damage(gz, &rng))
            for kind in 0..<3 {
                do throws(TokenizerError) {
                    let vocabulary: BPEVocabulary
                    switch kind {
                    case 0: vocabulary = try .loadHuggingFace(vocabPath: vocabPath, mergesPath: mergesPath)
                    case 1: vocabulary = try .loadTokenizerJSON(path: jsonPath)
                    default: vocabulary = try .loadOpenAI(gzipPath: gzPath)
                    }
                    loaded += 1
                    // Whatever loaded must still tokenize without trouble.
                    let ids = try CLIPTokenizer(vocabulary: vocabulary).encode("a photo of a cat, 東京 🤖")
                    #expect(ids.allSatisfy { $0 >= 0 && Int($0) < vocabulary.count })
                } catch {
                    rejected += 1
                    #expect(error.path != nil)
                }
            }
        }
        #expect(loaded > 0 && rejected > 0)
    }

    static func damage(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var out = bytes
        switch rng.next() % 3 {
        case 0: out = Array(out.prefix(Int(rng.next() % UInt64(out.count + 1))))
        case 1:
            for _ in 0..<(1 + rng.next() % 8) { out[Int(rng.next() % UInt64(out.count))] = UInt8(truncatingIfNeeded: rng.next()) }
        default:
            let at = Int(rng.next() % UInt64(out.count + 1))
            out.insert(contentsOf: (0..<(rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        }
        return out
    }
}
