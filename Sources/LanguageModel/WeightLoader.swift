import Kernels
import ModelFiles

/// Everything the decoder reads from a checkpoint.
struct DecoderWeights: Sendable {
    var embedding: TokenEmbedding
    var layers: [DecoderLayer]
    var finalNorm: RMSNorm
    var output: ProjectionWeight
}

/// The one place checkpoint tensor names map to layers, for GGUF (llama.cpp's
/// names) and Hugging Face safetensors (transformers' names). Every tensor is
/// checked against the shape the configuration implies.
enum WeightLoader {
    // MARK: GGUF

    static func gguf(_ file: GGUFFile, _ c: LanguageModelConfiguration) throws(LanguageModelError) -> DecoderWeights {
        do {
            let h = c.hiddenSize
            let embedding = try ggufTensor(file, "token_embd.weight", [c.vocabSize, h])
            var layers: [DecoderLayer] = []
            for n in 0..<c.layers {
                let p = "blk.\(n)."
                layers.append(DecoderLayer(
                    attentionNorm: RMSNorm(weight: try ggufVector(file, p + "attn_norm.weight", h), epsilon: c.rmsNormEpsilon),
                    query: try ggufMatrix(file, p + "attn_q", out: c.queryDimension, in: h),
                    key: try ggufMatrix(file, p + "attn_k", out: c.keyValueDimension, in: h),
                    value: try ggufMatrix(file, p + "attn_v", out: c.keyValueDimension, in: h),
                    output: try ggufMatrix(file, p + "attn_output", out: h, in: c.queryDimension),
                    mlpNorm: RMSNorm(weight: try ggufVector(file, p + "ffn_norm.weight", h), epsilon: c.rmsNormEpsilon),
                    gate: try ggufMatrix(file, p + "ffn_gate", out: c.intermediateSize, in: h),
                    up: try ggufMatrix(file, p + "ffn_up", out: c.intermediateSize, in: h),
                    down: try ggufMatrix(file, p + "ffn_down", out: h, in: c.intermediateSize)))
            }
            // No `output` tensor: the head is tied to the token embedding.
            let outputName = file.info("output.weight") == nil ? "token_embd" : "output"
            return DecoderWeights(
                embedding: .gguf(QuantizedMatrix(embedding)),
                layers: layers,
                finalNorm: RMSNorm(weight: try ggufVector(file, "output_norm.weight", h), epsilon: c.rmsNormEpsilon),
                output: try ggufMatrix(file, outputName, out: c.vocabSize, in: h))
        } catch {
            throw .weights(error)
        }
    }

    private static func ggufTensor(_ file: GGUFFile, _ name: String, _ shape: [Int]) throws(ModelFileError) -> GGUFTensor {
        let tensor = try file.tensor(name)
        guard tensor.shape == shape else {
            throw .shapeMismatch(path: file.path, tensor: name, expected: shape, found: tensor.shape)
        }
        return tensor
    }

    /// A 1-D float tensor (norm weight, bias) as float32.
    private static func ggufVector(_ file: GGUFFile, _ name: String, _ count: Int) throws(ModelFileError) -> FloatTensor {
        let tensor = try ggufTensor(file, name, [count])
        guard !tensor.type.isQuantized else {
            throw .unsupportedType(path: file.path, tensor: name, type: "\(tensor.type) (a vector must be F32, F16 or BF16)")
        }
        return expanded(tensor, shape: [count])
    }

    /// `prefix.weight` [out, in] and the optional `prefix.bias` [out]. Float
    /// matrices go to OpenBLAS (F32 used in place), quantized ones stay quantized.
    private static func ggufMatrix(_ file: GGUFFile, _ prefix: String, out: Int, in: Int) throws(ModelFileError) -> ProjectionWeight {
        let tensor = try ggufTensor(file, prefix + ".weight", [out, `in`])
        let bias = file.info(prefix + ".bias") == nil ? nil : try ggufVector(file, prefix + ".bias", out)
        if tensor.type.isQuantized { return .quantized(QuantizedMatrix(tensor), bias: bias) }
        return .dense(Linear(weight: expanded(tensor, shape: [out, `in`]), bias: bias))
    }

    /// F32 data in place when aligned; F16/BF16 (or unaligned F32) expanded once.
    private static func expanded(_ tensor: GGUFTensor, shape: [Int]) -> FloatTensor {
        if tensor.type == .f32, let base = tensor.bytes.baseAddress, Int(bitPattern: base) % 4 == 0 {
            return FloatTensor(pointer: base.assumingMemoryBound(to: Float.self), shape: shape, owner: tensor.owner)
        }
        let storage = FloatStorage(count: tensor.rows * tensor.columns)
        QuantizedMatrix(tensor).dequantize(rows: 0..<tensor.rows, into: storage.pointer)
        return FloatTensor(pointer: UnsafePointer(storage.pointer), shape: shape, owner: storage)
    }

    // MARK: Hugging Face safetensors

    static func huggingFace(
        _ checkpoint: SafetensorsCheckpoint, _ c: LanguageModelConfiguration, llamaAttentionBias: Bool,
        names: HuggingFaceTensorNames
    ) throws(LanguageModelError) -> DecoderWeights {
        do {
            let h = c.hiddenSize
            let qkvBias = c.architecture == .qwen2 || llamaAttentionBias
            let body = names.bodyPrefix
            let embedding = try checkpoint.floats(body + "embed_tokens.weight", shape: [c.vocabSize, h])
            func linear(_ prefix: String, out: Int, in: Int, bias: Bool) throws(ModelFileError) -> ProjectionWeight {
                .dense(Linear(weight: try checkpoint.floats(prefix + ".weight", shape: [out, `in`]),
                              bias: bias ? try checkpoint.floats(prefix + ".bias", shape: [out]) : nil))
            }
            func norm(_ name: String) throws(ModelFileError) -> RMSNorm {
                RMSNorm(weight: try checkpoint.floats(name, shape: [h]), epsilon: c.rmsNormEpsilon)
            }
            var layers: [DecoderLayer] = []
            for n in 0..<c.layers {
                let p = "\(body)layers.\(n)."
                layers.append(DecoderLayer(
                    attentionNorm: try norm(p + "input_layernorm.weight"),
                    query: try linear(p + "self_attn.q_proj", out: c.queryDimension, in: h, bias: qkvBias),
                    key: try linear(p + "self_attn.k_proj", out: c.keyValueDimension, in: h, bias: qkvBias),
                    value: try linear(p + "self_attn.v_proj", out: c.keyValueDimension, in: h, bias: qkvBias),
                    output: try linear(p + "self_attn.o_proj", out: h, in: c.queryDimension, bias: llamaAttentionBias),
                    mlpNorm: try norm(p + "post_attention_layernorm.weight"),
                    gate: try linear(p + "mlp.gate_proj", out: c.intermediateSize, in: h, bias: false),
                    up: try linear(p + "mlp.up_proj", out: c.intermediateSize, in: h, bias: false),
                    down: try linear(p + "mlp.down_proj", out: h, in: c.intermediateSize, bias: false)))
            }
            let output: ProjectionWeight = c.tieWordEmbeddings
                ? .dense(Linear(weight: embedding, bias: nil))
                : try linear(names.head, out: c.vocabSize, in: h, bias: false)
            return DecoderWeights(embedding: .dense(embedding), layers: layers,
                                  finalNorm: try norm(body + "norm.weight"), output: output)
        } catch {
            throw .weights(error)
        }
    }
}

/// Where a decoder's tensors sit in a Hugging Face checkpoint: `model.*` and `lm_head` for a
/// causal LM, under other prefixes when the decoder is part of a larger model (e.g. LLaVA).
public struct HuggingFaceTensorNames: Sendable, Equatable {
    /// Prefix of `embed_tokens`, `layers.N.*` and `norm`, including the trailing dot.
    public var bodyPrefix: String
    /// Name of the output head without `.weight`.
    public var head: String

    public init(bodyPrefix: String, head: String) {
        self.bodyPrefix = bodyPrefix
        self.head = head
    }

    /// `LlamaForCausalLM` / `Qwen2ForCausalLM`.
    public static let causalLM = HuggingFaceTensorNames(bodyPrefix: "model.", head: "lm_head")
}
