public import ModelFiles

/// Layer normalisation over the last dimension, with learned scale and shift.
public struct LayerNorm: Sendable {
    public let weight: FloatTensor
    public let bias: FloatTensor
    public let epsilon: Float

    public init(weight: FloatTensor, bias: FloatTensor, epsilon: Float) {
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    public var dimension: Int { weight.count }

    /// Normalises `rows` rows of `input` into `output` (which may be the same memory).
    public func callAsFunction(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        Parallel.forEachRange(rows, minimum: 32) { range in
            for r in range { normalize(input + r * dimension, into: output + r * dimension) }
        }
    }

    /// One row, eight lanes at a time (a scalar float sum would not vectorise: the
    /// compiler may not reorder it).
    @inline(__always)
    private func normalize(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let n = dimension, vectors = n / 8, tail = vectors * 8
        let gamma = weight.pointer, beta = bias.pointer
        let xv = UnsafeRawPointer(x), yv = UnsafeMutableRawPointer(y)
        let gv = UnsafeRawPointer(gamma), bv = UnsafeRawPointer(beta)
        var sums = SIMD8<Float>(repeating: 0)
        for v in 0..<vectors { sums += xv.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) }
        var sum = sums.sum()
        for i in tail..<n { sum += x[i] }
        let mean = sum / Float(n)
        var squareSums = SIMD8<Float>(repeating: 0)
        for v in 0..<vectors {
            let d = xv.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) - mean
            squareSums += d * d
        }
        var squares = squareSums.sum()
        for i in tail..<n { squares += (x[i] - mean) * (x[i] - mean) }
        let scale = 1 / (squares / Float(n) + epsilon).squareRoot()
        for v in 0..<vectors {
            let o = v * 32
            let d = xv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) - mean
            let g = gv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            let b = bv.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            yv.storeBytes(of: d * scale * g + b, toByteOffset: o, as: SIMD8<Float>.self)
        }
        for i in tail..<n { y[i] = (x[i] - mean) * scale * gamma[i] + beta[i] }
    }
}
