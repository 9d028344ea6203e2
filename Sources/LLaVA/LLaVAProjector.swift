public import Kernels

/// The multimodal projector: vision features -> language-model embedding rows.
/// `linear` is one Linear; `mlp2x_gelu` is Linear, activation, Linear.
public struct LLaVAProjector: Sendable {
    let first: Linear
    let activation: Activation
    let second: Linear?

    public init(first: Linear, activation: Activation, second: Linear?) {
        self.first = first
        self.activation = activation
        self.second = second
    }

    public var inputWidth: Int { first.inFeatures }
    /// Must equal the language model's hidden size.
    public var outputWidth: Int { (second ?? first).outFeatures }

    /// `features` is [rows, inputWidth]; returns [rows, outputWidth].
    public func callAsFunction(_ features: UnsafePointer<Float>, rows: Int) -> [Float] {
        var hidden = [Float](repeating: 0, count: rows * first.outFeatures)
        hidden.withUnsafeMutableBufferPointer { first(features, rows: rows, into: $0.baseAddress!) }
        guard let second else { return hidden }
        var output = [Float](repeating: 0, count: rows * second.outFeatures)
        hidden.withUnsafeMutableBufferPointer { h in
            activation.apply(h.baseAddress!, count: h.count)
            output.withUnsafeMutableBufferPointer { second(h.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        return output
    }
}
