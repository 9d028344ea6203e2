import ModelFiles

/// Linear layers that read the same input and write side by side into one output
/// row, as attention's query, key and value projections do. In bf16 they run as one
/// GEMM over the stacked weights: the input is converted once, one dispatch, and three
/// times the columns to share between threads (which matters at one image's 50 rows).
/// In fp32 each layer runs its own sgemm on the checkpoint's mapped weights, so
/// nothing is copied.
public struct StackedLinear: Sendable {
    /// The layers, run one by one in fp32; empty in bf16 (their float32 weights are released once stacked).
    public let parts: [Linear]
    /// Σ out of the parts: the width of an output row.
    public let outFeatures: Int
    public let inFeatures: Int
    private let bf16: BF16Weight?
    /// The parts' biases side by side (zeros for a part without one), for the bf16 GEMM.
    private let bias: FloatStorage?

    /// - Parameter parts: fp32 layers (their own bf16 copies would be unused) with one input width.
    public init(_ parts: [Linear], precision: MatmulPrecision) {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.inFeatures == parts[0].inFeatures && $0.bf16 == nil },
                     "stacked layers are fp32 Linear layers with one input width")
        inFeatures = parts[0].inFeatures
        outFeatures = parts.reduce(0) { $0 + $1.outFeatures }
        guard precision.effective == .bf16 else {
            (self.parts, bf16, bias) = (parts, nil, nil)
            return
        }
        self.parts = []
        let weights = parts.compactMap(\.weight)
        bf16 = BF16Weight(stacking: weights)
        weights.forEach { $0.releaseResidentPages() }
        if parts.contains(where: { $0.bias != nil }) {
            let storage = FloatStorage(count: outFeatures)
            var offset = 0
            for part in parts {
                if let b = part.bias {
                    (storage.pointer + offset).update(from: b.pointer, count: part.outFeatures)
                } else {
                    (storage.pointer + offset).update(repeating: 0, count: part.outFeatures)
                }
                offset += part.outFeatures
            }
            bias = storage
        } else {
            bias = nil
        }
    }

    public var precision: MatmulPrecision { bf16 == nil ? .fp32 : .bf16 }

    /// `output[rows, Σ out]`: each row holds the parts' outputs in order.
    public func callAsFunction(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard let bf16 else {
            var offset = 0
            for part in parts {
                part(input, rows: rows, into: output + offset, outputStride: outFeatures)
                offset += part.outFeatures
            }
            return
        }
        if let bias {
            for r in 0..<rows { (output + r * outFeatures).update(from: bias.pointer, count: outFeatures) }
        }
        bf16.gemm(rows: rows, a: input, lda: inFeatures, beta: bias == nil ? 0 : 1, c: output, ldc: outFeatures)
    }
}
