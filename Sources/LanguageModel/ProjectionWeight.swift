import Dispatch
public import Kernels
public import ModelFiles

/// One weight matrix W [out, in] of the decoder, y = x Wᵀ (+ b) over a batch of rows:
/// float weights (F32/F16/BF16, HF or GGUF) through OpenBLAS via `Linear`;
/// quantized GGUF weights in place through `QuantizedMatrix` (never dequantized).
public enum ProjectionWeight: Sendable {
    case dense(Linear)
    case quantized(QuantizedMatrix, bias: FloatTensor?)

    public var outFeatures: Int {
        switch self {
        case .dense(let linear): linear.outFeatures
        case .quantized(let matrix, _): matrix.rows
        }
    }

    public var inFeatures: Int {
        switch self {
        case .dense(let linear): linear.inFeatures
        case .quantized(let matrix, _): matrix.columns
        }
    }

    /// `output[rows, out] = input[rows, in] Wᵀ + b`. Quantized products are split by
    /// output rows over `threads` threads (OpenBLAS threads itself).
    func callAsFunction(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, threads: Int) {
        switch self {
        case .dense(let linear):
            linear(input, rows: rows, into: output)
        case .quantized(let matrix, let bias):
            let n = matrix.rows
            let parts = n >= 512 ? max(1, threads) : 1
            if case .native = matrix.kernel, QuantizedMatrix.nativeLevel >= 2 {
                // The C kernels quantize the activations once and split the rows over their own pool.
                matrix.multiply(input, count: rows, into: output, threads: parts)
            } else if parts == 1 {
                matrix.multiply(input, count: rows, into: output)
            } else {
                // Each part writes only its own output columns of every row.
                let shared = SharedPointers(input: input, output: output)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let start = n * part / parts, end = n * (part + 1) / parts
                    matrix.multiply(shared.input, count: rows, into: shared.output, rows: start..<end)
                }
            }
            if let bias {
                bias.withUnsafeBuffer { b in
                    for r in 0..<rows {
                        let row = output + r * n
                        for i in 0..<n { row[i] += b[i] }
                    }
                }
            }
        }
    }
}

/// Pointers handed to worker threads that read `input` and write disjoint parts of `output`.
struct SharedPointers: @unchecked Sendable {
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
}
