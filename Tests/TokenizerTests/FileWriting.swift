@testable import Tokenizers

/// Writers for the tokenizer file formats, so tests can build files from a
/// vocabulary and then damage them.
enum FileWriting {
    static func jsonString(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var out = "\""
        for s in scalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{0}"..."\u{1F}": out += "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count) + String(s.value, radix: 16)
            default: out.unicodeScalars.append(s)
            }
        }
        return out + "\""
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars)
        return s
    }

    /// vocab.json: { token: id, ... }
    static func vocabJSON(_ tokens: [[Unicode.Scalar]?]) -> String {
        let members = tokens.enumerated().compactMap { id, token in token.map { "\(jsonString($0)): \(id)" } }
        return "{" + members.joined(separator: ",\n") + "}\n"
    }

    /// merges.txt with the #version header.
    static func mergesText(_ merges: [([Unicode.Scalar], [Unicode.Scalar])]) -> String {
        "#version: 0.2\n" + merges.map { string($0.0) + " " + string($0.1) + "\n" }.joined()
    }

    /// tokenizer.json with merges as "a b" strings or as ["a", "b"] pairs.
    static func tokenizerJSON(_ tokens: [[Unicode.Scalar]?], _ merges: [([Unicode.Scalar], [Unicode.Scalar])], pairs: Bool) -> String {
        let mergeItems = merges.map { pair in
            pairs ? "[\(jsonString(pair.0)), \(jsonString(pair.1))]" : jsonString(pair.0 + [" "] + pair.1)
        }
        return """
            {"version": "1.0", "added_tokens": [{"id": \(tokens.count - 2), "content": "<|startoftext|>", "special": true}],
             "model": {"type": "BPE", "dropout": null, "end_of_word_suffix": "</w>",
               "vocab": \(vocabJSON(tokens)),
               "merges": [\(mergeItems.joined(separator: ",\n"))]}}
            """
    }

    /// The vocabulary's merges in rank order, recovered from its tables.
    static func merges(of vocabulary: BPEVocabulary) -> [([Unicode.Scalar], [Unicode.Scalar])] {
        vocabulary.merges.sorted { $0.value.rank < $1.value.rank }.map { key, _ in
            (vocabulary.token(of: Int32(key >> 32))!, vocabulary.token(of: Int32(truncatingIfNeeded: key))!)
        }
    }

    /// A gzip file of stored (uncompressed) deflate blocks: valid gzip without
    /// needing a compressor in the tests.
    static func gzip(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        var offset = 0
        repeat {
            let count = min(65_535, data.count - offset)
            let final: UInt8 = offset + count == data.count ? 1 : 0
            out += [final, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<(offset + count)]
            offset += count
        } while offset < data.count
        let crc = crc32(data)
        for v in [crc, UInt32(truncatingIfNeeded: data.count)] {
            out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// OpenAI's file format: a header line, then one merge per line.
    static func openAIMergesText(_ merges: [([Unicode.Scalar], [Unicode.Scalar])]) -> String {
        "\"bpe_simple_vocab_16e6.txt#version: 0.2\n" + merges.map { string($0.0) + " " + string($0.1) }.joined(separator: "\n") + "\n"
    }
}
