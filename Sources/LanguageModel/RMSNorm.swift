public import ModelFiles

/// y = x / sqrt(mean(x²) + ε) · γ over each row, as LlamaRMSNorm (in float32).
public struct RMSNorm: Sendable {
    public let weight: FloatTensor
    public let epsilon: Float

    public init(weight: FloatTensor, epsilon: Float) {
        self.weight = weight
        self.epsilon = epsilon
    }

    public var dimension: Int { weight.count }

    /// Normalises `rows` rows of `input` into `output` (which may be the same memory).
    public func callAsFunction(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let n = dimension, vectors = n / 8
        withExtendedLifetime(weight.owner) {
            let gamma = UnsafeRawPointer(weight.pointer)
            for r in 0..<rows {
                let x = UnsafeRawPointer(input + r * n), y = UnsafeMutableRawPointer(output + r * n)
                var sums = SIMD8<Float>(repeating: 0)
                for v in 0..<vectors {
                    let value = x.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self)
                    sums += value * value
                }
                var squares = sums.sum()
                for i in (vectors * 8)..<n { squares += input[r * n + i] * input[r * n + i] }
                let scale = 1 / (squares / Float(n) + epsilon).squareRoot()
                for v in 0..<vectors {
                    let value = x.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self) * scale
                    y.storeBytes(of: value * gamma.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self),
                                 toByteOffset: 32 * v, as: SIMD8<Float>.self)
                }
                for i in (vectors * 8)..<n { output[r * n + i] = input[r * n + i] * scale * weight.pointer[i] }
            }
        }
    }
}
