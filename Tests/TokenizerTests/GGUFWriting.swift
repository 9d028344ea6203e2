@testable import Tokenizers

/// Writes small GGUF files (metadata only) for error and behaviour tests.
struct TinyGGUF {
    enum Value {
        case string(String)
        case bool(Bool)
        case u32(UInt32)
        case f32(Float)
        case strings([String])
        case i32s([Int32])
        case f32s([Float])
    }

    var entries: [(String, Value)] = []

    subscript(key: String) -> Value? {
        get { entries.first { $0.0 == key }?.1 }
        set {
            entries.removeAll { $0.0 == key }
            if let newValue { entries.append((key, newValue)) }
        }
    }

    /// A byte-level BPE vocabulary: the 256 byte characters, "ab", "abc", " a" merges, and
    /// `<|ctl|>` (control) and `<u>` (user-defined).
    static func bytePairEncoding(pre: String = "qwen2") -> TinyGGUF {
        var tokens = (0..<256).map { String(Character(ByteLevel.scalarOfByte[$0])) }
        let g = String(Character(ByteLevel.scalarOfByte[0x20]))
        tokens += ["ab", "abc", g + "a", "<|ctl|>", "<u>"]
        var types = [Int32](repeating: 1, count: tokens.count)
        types[tokens.count - 2] = 3
        types[tokens.count - 1] = 4
        var file = TinyGGUF()
        file["general.architecture"] = .string("llama")
        file["tokenizer.ggml.model"] = .string("gpt2")
        file["tokenizer.ggml.pre"] = .string(pre)
        file["tokenizer.ggml.tokens"] = .strings(tokens)
        file["tokenizer.ggml.token_type"] = .i32s(types)
        file["tokenizer.ggml.merges"] = .strings(["a b", "ab c", g + " a"])
        file["tokenizer.ggml.eos_token_id"] = .u32(UInt32(tokens.count - 2))
        return file
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        u32(3)
        u64(0)
        u64(UInt64(entries.count))
        for (key, value) in entries {
            string(key)
            switch value {
            case .string(let s): u32(8); string(s)
            case .bool(let b): u32(7); out.append(b ? 1 : 0)
            case .u32(let v): u32(4); u32(v)
            case .f32(let f): u32(6); u32(f.bitPattern)
            case .strings(let items): u32(9); u32(8); u64(UInt64(items.count)); items.forEach(string)
            case .i32s(let items): u32(9); u32(5); u64(UInt64(items.count)); items.forEach { u32(UInt32(bitPattern: $0)) }
            case .f32s(let items): u32(9); u32(6); u64(UInt64(items.count)); items.forEach { u32($0.bitPattern) }
            }
        }
        while out.count % 32 != 0 { out.append(0) }
        return out
    }
}
