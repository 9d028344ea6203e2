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
        let n = dimension
        let gamma = weight.pointer, beta = bias.pointer
        for r in 0..<rows {
            let x = input + r * n, y = output + r * n
            var sum: Float = 0
            for i in 0..<n { sum += x[i] }
            let mean = sum / Float(n)
            var squares: Float = 0
            for i in 0..<n {
                let d = x[i] - mean
                squares += d * d
            }
            let scale = 1 / (squares / Float(n) + epsilon).squareRoot()
            for i in 0..<n { y[i] = (x[i] - mean) * scale * gamma[i] + beta[i] }
        }
    }
}
