public import ModelFiles

/// y = x Wᵀ + b over a batch of rows, with W stored [out, in] as PyTorch does.
public struct Linear: Sendable {
    /// The float32 weight [out, in] that OpenBLAS multiplies; nil in bf16, where the
    /// layer keeps only its packed bfloat16 copy (a float16 checkpoint's expanded float32
    /// copy is freed, a mapped float32 file's pages are handed back to the kernel).
    public let weight: FloatTensor?
    public let bias: FloatTensor?
    public let inFeatures: Int
    public let outFeatures: Int
    /// The weight in bfloat16 when the layer was made with `precision: .bf16`
    /// on a CPU that has AVX512_BF16; nil means OpenBLAS sgemm on `weight`.
    public let bf16: BF16Weight?

    public init(weight: FloatTensor, bias: FloatTensor?, precision: MatmulPrecision = .fp32) {
        precondition(weight.shape.count == 2, "a Linear weight is a matrix")
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        if precision.effective == .bf16 {
            bf16 = BF16Weight(weight)
            weight.releaseResidentPages()
            self.weight = nil
        } else {
            bf16 = nil
            self.weight = weight
        }
    }

    public var precision: MatmulPrecision { bf16 == nil ? .fp32 : .bf16 }

    @inline(__always)
    func product(_ input: UnsafePointer<Float>, rows: Int, beta: Float, into output: UnsafeMutablePointer<Float>, ldc: Int) {
        if let bf16 {
            bf16.gemm(rows: rows, a: input, lda: inFeatures, beta: beta, c: output, ldc: ldc)
        } else if let weight {
            BLAS.gemmTransposedB(
                m: rows, n: outFeatures, k: inFeatures, a: input, lda: inFeatures,
                b: weight.pointer, ldb: inFeatures, beta: beta, c: output, ldc: ldc)
        }
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
        product(input, rows: rows, beta: bias == nil ? 0 : 1, into: output, ldc: ldc)
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
        product(input, rows: rows, beta: 1, into: output, ldc: outFeatures)
    }
}
