public import Kernels
public import ModelFiles

/// One pre-LayerNorm transformer block, as CLIP's vision and text towers use:
/// x += attention(ln1(x)); x += mlp(ln2(x)).
public struct EncoderLayer: Sendable {
    let norm1: LayerNorm
    /// Query, key and value side by side: one [tokens, 3·hidden] buffer for attention.
    let qkv: StackedLinear
    let output: Linear
    let norm2: LayerNorm
    let fc1: Linear, fc2: Linear
    let activation: Activation
    let attention: AttentionShape

    /// Loads `prefix.self_attn.*`, `prefix.layer_norm{1,2}.*` and `prefix.mlp.fc{1,2}.*`, checking every shape.
    init(_ weights: WeightReader, prefix: String, hidden: Int, intermediate: Int, heads: Int,
         activation: Activation, epsilon: Float) throws(CLIPError) {
        norm1 = try weights.layerNorm(prefix + ".layer_norm1", dimension: hidden, epsilon: epsilon)
        norm2 = try weights.layerNorm(prefix + ".layer_norm2", dimension: hidden, epsilon: epsilon)
        qkv = StackedLinear(
            try ["q_proj", "k_proj", "v_proj"].map { (name) throws(CLIPError) in
                try weights.linear(prefix + ".self_attn." + name, in: hidden, out: hidden, precision: .fp32)
            },
            precision: weights.precision)
        output = try weights.linear(prefix + ".self_attn.out_proj", in: hidden, out: hidden)
        fc1 = try weights.linear(prefix + ".mlp.fc1", in: hidden, out: intermediate)
        fc2 = try weights.linear(prefix + ".mlp.fc2", in: intermediate, out: hidden)
        self.activation = activation
        attention = AttentionShape(heads: heads, headDimension: hidden / heads)
    }

    /// The `count` blocks under `prefix.encoder.layers.N`, as both CLIP towers name them.
    static func stack(
        _ weights: WeightReader, prefix: String, count: Int, hidden: Int, intermediate: Int, heads: Int,
        activation: Activation, epsilon: Float
    ) throws(CLIPError) -> [EncoderLayer] {
        var layers: [EncoderLayer] = []
        for i in 0..<count {
            layers.append(try EncoderLayer(
                weights, prefix: "\(prefix).encoder.layers.\(i)", hidden: hidden, intermediate: intermediate,
                heads: heads, activation: activation, epsilon: epsilon))
        }
        return layers
    }

    /// Runs the block over `sequences` sequences of `tokens` rows each, in place on `hidden`.
    func callAsFunction(
        _ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
        keyValid: UnsafePointer<Bool>?, scratch: Workspace
    ) {
        let rows = sequences * tokens
        let normed = scratch.normed, qkv = scratch.qkv, context = scratch.context
        norm1(hidden, rows: rows, into: normed)
        self.qkv(normed, rows: rows, into: qkv)
        Attention.selfAttention(
            qkv: qkv, sequences: sequences, tokens: tokens, shape: attention, causal: causal, keyValid: keyValid,
            precision: self.qkv.precision, scratch: scratch.attention, output: context)
        output.accumulate(context, rows: rows, onto: hidden)
        norm2(hidden, rows: rows, into: normed)
        fc1(normed, rows: rows, into: scratch.mlp)
        let width = fc1.outFeatures, mlp = scratch.mlp, activation = self.activation
        Parallel.forEachRange(rows, minimum: 8) { range in
            activation.apply(mlp + range.lowerBound * width, count: range.count * width)
        }
        fc2.accumulate(scratch.mlp, rows: rows, onto: hidden)
    }
}

/// Scratch memory for a forward pass, allocated once and grown only when a
/// larger batch arrives, never per layer or per call.
final class Workspace {
    private(set) var rows = 0
    private(set) var tokens = 0
    private var storage: [FloatStorage] = []
    private(set) var normed: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var qkv: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var context: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var mlp: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    let attention = AttentionScratch()
    private(set) var hidden: UnsafeMutablePointer<Float> = .allocate(capacity: 1)
    private(set) var extra: UnsafeMutablePointer<Float> = .allocate(capacity: 1)

    let dimension: Int
    let intermediate: Int
    let extraPerRow: Int

    init(dimension: Int, intermediate: Int, extraPerRow: Int = 0) {
        self.dimension = dimension
        self.intermediate = intermediate
        self.extraPerRow = extraPerRow
    }

    /// Makes room for `rows` rows in sequences of `tokens`.
    func reserve(rows: Int, tokens: Int) {
        guard rows > self.rows || tokens > self.tokens else { return }
        let r = max(rows, self.rows), t = max(tokens, self.tokens)
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let s = FloatStorage(count: count)
            storage.append(s)
            return s.pointer
        }
        storage.removeAll()
        normed = make(r * dimension)
        qkv = make(r * 3 * dimension)
        context = make(r * dimension)
        mlp = make(r * intermediate)
        hidden = make(r * dimension)
        extra = make(max(1, r * extraPerRow))
        (self.rows, self.tokens) = (r, t)
    }
}
