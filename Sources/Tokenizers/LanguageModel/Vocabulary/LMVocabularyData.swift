/// The tokenizer data of a language model as a GGUF file stores it (`tokenizer.ggml.*`),
/// before llama.cpp's loader rules are applied. The GGUF and tokenizer.json loaders fill it.
public struct LMVocabularyData: Sendable {
    public enum Model: Sendable, Equatable {
        /// `gpt2`: byte-level BPE with merges and a pre-tokenizer.
        case bytePairEncoding(LMPreTokenizerSettings)
        /// `llama`: SentencePiece BPE with scores and `<0xXX>` byte fallback.
        case sentencePiece
    }

    public var model: Model
    /// Token texts by id, as bytes (`tokenizer.ggml.tokens`).
    public var tokens: [[UInt8]]
    /// `tokenizer.ggml.scores`; nil means all 0.
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type`; nil means all normal.
    public var tokenTypes: [Int]?
    /// `tokenizer.ggml.merges` ("left right", byte-level text), BPE only.
    public var merges: [[UInt8]]
    /// Special token ids from metadata, by llama.cpp's role names: "bos", "eos", "eot", "eom",
    /// "unk", "sep", "pad", "mask", "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep",
    /// "fim_sep" (GGUF `tokenizer.ggml.<role>_token_id`).
    public var specialIDs: [String: Int] = [:]
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token` / `add_space_prefix`; nil keeps llama.cpp's default.
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?

    public init(model: Model, tokens: [[UInt8]], scores: [Float]? = nil, tokenTypes: [Int]? = nil, merges: [[UInt8]] = []) {
        self.model = model
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
    }
}
