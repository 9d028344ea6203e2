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
    ///   - qkv: `tokens` rows of `[q | k | v]`, each `dimension` wide.
    ///   - causal: token i sees only tokens 0...i.
    ///   - keyValid: when given, keys whose flag is false are masked (padding).
    ///   - scores: scratch of at least `tokens * tokens` floats.
    ///   - output: `tokens` rows of `dimension`, heads side by side.
    public static func selfAttention(
        qkv: UnsafePointer<Float>, tokens: Int, shape: AttentionShape, causal: Bool,
        keyValid: UnsafePointer<Bool>? = nil,
        scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let d = shape.dimension, hd = shape.headDimension, ld = 3 * d
        let scale = 1 / Float(hd).squareRoot()
        for h in 0..<shape.heads {
            let q = qkv + h * hd, k = qkv + d + h * hd, v = qkv + 2 * d + h * hd
            BLAS.gemmTransposedB(m: tokens, n: tokens, k: hd, alpha: scale, a: q, lda: ld, b: k, ldb: ld, c: scores, ldc: tokens)
            if causal || keyValid != nil {
                for i in 0..<tokens {
                    let row = scores + i * tokens
                    if causal { for j in (i + 1)..<max(i + 1, tokens) { row[j] = -.infinity } }
                    if let keyValid { for j in 0..<tokens where !keyValid[j] { row[j] = -.infinity } }
                }
            }
            softmaxRows(scores, rows: tokens, columns: tokens)
            BLAS.gemm(m: tokens, n: hd, k: tokens, a: scores, lda: tokens, b: v, ldb: ld, c: output + h * hd, ldc: d)
        }
    }
}
