import CKernels
import ModelFiles

/// Scaled dot-product attention for one sequence, all heads, reading
/// queries, keys and values straight out of a fused [tokens, 3·dim] QKV
/// buffer (no copies: the GEMMs take strided views).
public struct AttentionShape: Sendable, Equatable {
    public let heads: Int
    public let headDimension: Int
    public var dimension: Int { heads * headDimension }

    public init(heads: Int, headDimension: Int) {
        self.heads = heads
        self.headDimension = headDimension
    }
}

public enum Attention {
    /// - Parameters:
    ///   - qkv: `sequences · tokens` rows of `[q | k | v]`, each `dimension` wide.
    ///   - causal: token i sees only tokens 0...i.
    ///   - keyValid: when given, `sequences · tokens` flags; keys whose flag is false are masked (padding).
    ///   - precision: fp32 runs each head through OpenBLAS sgemm in turn (exact, the reference);
    ///     bf16 runs the (sequence, head) pairs concurrently on the kernel pool, each through the
    ///     bf16 GEMM on one thread, softmax included, so no step of attention is left on one core.
    ///   - output: `sequences · tokens` rows of `dimension`, heads side by side.
    public static func selfAttention(
        qkv: UnsafePointer<Float>, sequences: Int = 1, tokens: Int, shape: AttentionShape, causal: Bool,
        keyValid: UnsafePointer<Bool>? = nil, precision: MatmulPrecision = .fp32,
        scratch: AttentionScratch, output: UnsafeMutablePointer<Float>
    ) {
        let d = shape.dimension, hd = shape.headDimension, ld = 3 * d
        let scale = 1 / Float(hd).squareRoot()
        guard precision.effective == .bf16 else {
            scratch.reserve(slots: 1, tokens: tokens, headDimension: hd, bf16: false)
            let scores = scratch.scores(0)
            for s in 0..<sequences {
                let base = qkv + s * tokens * ld, valid = keyValid.map { $0 + s * tokens }
                for h in 0..<shape.heads {
                    let q = base + h * hd, k = base + d + h * hd, v = base + 2 * d + h * hd
                    BLAS.gemmTransposedB(m: tokens, n: tokens, k: hd, alpha: scale, a: q, lda: ld, b: k, ldb: ld, c: scores, ldc: tokens)
                    normalize(scores, tokens: tokens, scale: 1, causal: causal, keyValid: valid)
                    BLAS.gemm(m: tokens, n: hd, k: tokens, a: scores, lda: tokens, b: v, ldb: ld, c: output + s * tokens * d + h * hd, ldc: d)
                }
            }
            return
        }
        let chunks = Parallel.chunks(sequences * shape.heads, minimum: 1)
        scratch.reserve(slots: chunks.count, tokens: tokens, headDimension: hd, bf16: true)
        let (n, headDim) = (Int32(tokens), Int32(hd))
        Parallel.forEach(chunks.count) { slot in
            let scores = scratch.scores(slot), keys = scratch.packedKeys(slot), values = scratch.packedValues(slot)
            for pair in chunks[slot] {
                let (s, h) = pair.quotientAndRemainder(dividingBy: shape.heads)
                let base = qkv + s * tokens * ld
                let q = base + h * hd, k = base + d + h * hd, v = base + 2 * d + h * hd
                // Scores = Q Kᵀ: the keys packed as a [tokens, hd] weight.
                sl_bf16_pack_strided(k, n, headDim, ld, 1, keys)
                sl_bf16_gemm_nt(n, n, headDim, q, Int32(ld), keys, scores, n, 0)
                normalize(scores, tokens: tokens, scale: scale, causal: causal, keyValid: keyValid.map { $0 + s * tokens })
                // Context = P V: the values packed transposed, as a [hd, tokens] weight.
                sl_bf16_pack_strided(v, headDim, n, 1, ld, values)
                sl_bf16_gemm_nt(n, headDim, n, scores, n, values, output + s * tokens * d + h * hd, Int32(d), 0)
            }
        }
    }

    /// Masks a [tokens, tokens] score matrix and turns each row of `scale ·` it into probabilities.
    private static func normalize(
        _ scores: UnsafeMutablePointer<Float>, tokens: Int, scale: Float, causal: Bool, keyValid: UnsafePointer<Bool>?
    ) {
        if causal || keyValid != nil {
            for i in 0..<tokens {
                let row = scores + i * tokens
                if causal { for j in (i + 1)..<max(i + 1, tokens) { row[j] = -.infinity } }
                if let keyValid { for j in 0..<tokens where !keyValid[j] { row[j] = -.infinity } }
            }
        }
        softmaxRows(scores, rows: tokens, columns: tokens, scale: scale)
    }
}

/// Attention's scratch memory, grown on demand and then reused: per slot (one
/// (sequence, head) pair computed at a time on one thread) a score matrix and, for
/// bf16, the packed keys and values.
public final class AttentionScratch: @unchecked Sendable {
    private var slots = 0, scoreCount = 0, packedCount = 0
    private var scoreStorage: FloatStorage?
    private var packedStorage: UnsafeMutablePointer<UInt16>?

    public init() {}

    deinit { packedStorage?.deallocate() }

    /// Makes room for `slots` slots of `tokens` tokens.
    public func reserve(slots: Int, tokens: Int, headDimension: Int, bf16: Bool) {
        let scores = tokens * tokens
        let packed = bf16 ? max(sl_bf16_packed_size(Int32(tokens), Int32(headDimension)),
                                sl_bf16_packed_size(Int32(headDimension), Int32(tokens))) : 0
        if slots > self.slots || scores > scoreCount || packed > packedCount {
            let (s, sc, p) = (max(slots, self.slots), max(scores, scoreCount), max(packed, packedCount))
            scoreStorage = FloatStorage(count: s * sc)
            packedStorage?.deallocate()
            packedStorage = p > 0 ? .allocate(capacity: 2 * s * p) : nil
            (self.slots, scoreCount, packedCount) = (s, sc, p)
        }
    }

    func scores(_ slot: Int) -> UnsafeMutablePointer<Float> { scoreStorage!.pointer + slot * scoreCount }
    func packedKeys(_ slot: Int) -> UnsafeMutablePointer<UInt16> { packedStorage! + 2 * slot * packedCount }
    func packedValues(_ slot: Int) -> UnsafeMutablePointer<UInt16> { packedStorage! + (2 * slot + 1) * packedCount }
}
