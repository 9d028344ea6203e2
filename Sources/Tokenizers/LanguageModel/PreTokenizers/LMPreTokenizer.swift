/// The pre-tokenizers of llama.cpp's byte-level BPE vocabularies, chosen by the GGUF key
/// `tokenizer.ggml.pre`. Each splits a text fragment (code points) into words; words are
/// then merged separately. They follow llama.cpp's `unicode_regex_split`: the hand-written
/// scanners of unicode.cpp where llama.cpp has one (gpt2, llama3, qwen2), and an exact
/// emulation of its std::regex fallback (over llama.cpp's category-collapsed text) for the
/// rest of the `default` pipeline.
public enum LMPreTokenizer: Sendable, Equatable, CustomStringConvertible {
    /// llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEFAULT (`default`, or no `pre` key): four regexes in
    /// turn, `[\p{P}\$\+<=>\^~\|]+`, GPT-2's pattern, `\p{N}+`, `[0-9][0-9][0-9]`.
    case llamaDefault
    /// GPT-2's pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
    /// (`gpt-2`, `phi-2`, `mpt`, `olmo`, ...).
    case gpt2
    /// Llama 3: `(?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
    /// the vocabulary also skips merging words that are whole tokens.
    case llama3
    /// Qwen2: the Llama 3 pattern with single digits (`\p{N}`).
    case qwen2

    public var description: String {
        switch self {
        case .llamaDefault: "default"
        case .gpt2: "gpt-2"
        case .llama3: "llama3"
        case .qwen2: "qwen2"
        }
    }

    /// Calls `body` with the code point range of each word of `cps`, in order.
    func split(_ cps: [UInt32], _ body: (Range<Int>) -> Void) {
        switch self {
        case .gpt2:
            LMScanners.gpt2(cps, 0..<cps.count, body)
        case .llama3:
            LMScanners.llama3(cps, 0..<cps.count, maxDigits: 3, body)
        case .qwen2:
            LMScanners.llama3(cps, 0..<cps.count, maxDigits: 1, body)
        case .llamaDefault:
            LMScanners.defaultPipeline(cps, body)
        }
    }
}

/// What llama.cpp's vocabulary loader derives from `tokenizer.ggml.pre` (llama-vocab.cpp,
/// 0c1e57098): the split pattern and three flags. Only names whose pattern is implemented
/// here are accepted.
public struct LMPreTokenizerSettings: Sendable, Equatable {
    public var kind: LMPreTokenizer
    /// llama.cpp's `clean_spaces`: the detokenizer drops spaces before `?!.,` and some
    /// apostrophe contractions.
    public var cleansSpaces: Bool
    /// llama.cpp's `ignore_merges`: a word that is a whole token is not merged.
    public var ignoresMerges: Bool
    /// The `add_bos` default before `tokenizer.ggml.add_bos_token` overrides it.
    public var addsBOSByDefault: Bool

    public init(kind: LMPreTokenizer, cleansSpaces: Bool = true, ignoresMerges: Bool = false, addsBOSByDefault: Bool = false) {
        self.kind = kind
        self.cleansSpaces = cleansSpaces
        self.ignoresMerges = ignoresMerges
        self.addsBOSByDefault = addsBOSByDefault
    }

    public init?(ggufName name: String) {
        switch name {
        case "", "default":
            self.init(kind: .llamaDefault)
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
            "modern-bert", "exaone4", "mpt", "olmo", "jais":
            self.init(kind: .gpt2)
        case "trillion", "granite-docling":
            self.init(kind: .gpt2, cleansSpaces: false)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            self.init(kind: .llama3, ignoresMerges: true, addsBOSByDefault: true)
        case "dbrx", "smaug-bpe":
            self.init(kind: .llama3)
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open":
            self.init(kind: .qwen2, cleansSpaces: false)
        case "megrez", "stablelm2":
            self.init(kind: .qwen2)
        default:
            return nil
        }
    }
}
