public import ModelFiles

/// y = x Wᵀ + b over a batch of rows, with W stored [out, in] as PyTorch does.
public struct Linear: Sendable {
    public let weight: FloatTensor
    public let bias: FloatTensor?
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: FloatTensor, bias: FloatTensor?) {
        precondition(weight.shape.count == 2, "a Linear weight is a matrix")
        self.weight = weight
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
    }

    /// `output[rows, out] = input[rows, in] Wᵀ + b`, output rows `outputStride` floats apart
    /// (so Q, K and V can be written side by side into one buffer).
    public func callAsFunction(
        _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int? = nil
    ) {
        let ldc = outputStride ?? outFeatures
        if let bias {
            // Seed each row with the bias and let the GEMM accumulate onto it (beta = 1).
            for r in 0..<rows { (output + r * ldc).update(from: bias.pointer, count: outFeatures) }
        }
        BLAS.gemmTransposedB(
            m: rows, n: outFeatures, k: inFeatures, a: input, lda: inFeatures,
            b: weight.pointer, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: output, ldc: ldc)
    }

    /// `output += input Wᵀ + b`: a residual connection without a separate add pass.
    public func accumulate(_ input: UnsafePointer<Float>, rows: Int, onto output: UnsafeMutablePointer<Float>) {
        if let bias {
            let b = bias.pointer
            for r in 0..<rows {
                let row = output + r * outFeatures
                for i in 0..<outFeatures { row[i] += b[i] }
            }
        }
        BLAS.gemmTransposedB(
            m: rows, n: outFeatures, k: inFeatures, a: input, lda: inFeatures,
            b: weight.pointer, ldb: inFeatures, beta: 1, c: output, ldc: outFeatures)
    }
}
