public import Kernels
public import ModelFiles

/// Reads named tensors from a checkpoint and checks each against the shape
/// the configuration implies, so a config that disagrees with its weights is
/// an error naming the tensor rather than a wrong answer or a crash.
public struct WeightReader: Sendable {
    /// Returns the tensor a transformers name denotes as float32, checked against `shape`.
    public typealias Lookup = @Sendable (_ name: String, _ shape: [Int]) throws(ModelFileError) -> FloatTensor

    let lookup: Lookup
    /// The arithmetic of the Linear layers it makes.
    public let precision: MatmulPrecision

    /// Tensors read by their own names from a safetensors checkpoint.
    public init(checkpoint: SafetensorsCheckpoint, precision: MatmulPrecision = .fp32) {
        self.init(precision: precision) { (name, shape) throws(ModelFileError) in try checkpoint.floats(name, shape: shape) }
    }

    /// Tensors from any source that can answer for transformers' names (e.g. a GGUF file
    /// whose loader translates them to its own naming).
    public init(precision: MatmulPrecision = .fp32, lookup: @escaping Lookup) {
        self.lookup = lookup
        self.precision = precision
    }

    func tensor(_ name: String, _ shape: [Int]) throws(CLIPError) -> FloatTensor {
        do {
            return try lookup(name, shape)
        } catch {
            throw .weights(error)
        }
    }

    /// - Parameter precision: the reader's own unless given (fp32 for layers that are stacked later).
    func linear(
        _ prefix: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true, precision: MatmulPrecision? = nil
    ) throws(CLIPError) -> Linear {
        Linear(
            weight: try tensor(prefix + ".weight", [outFeatures, inFeatures]),
            bias: bias ? try tensor(prefix + ".bias", [outFeatures]) : nil, precision: precision ?? self.precision)
    }

    func layerNorm(_ prefix: String, dimension: Int, epsilon: Float) throws(CLIPError) -> LayerNorm {
        LayerNorm(
            weight: try tensor(prefix + ".weight", [dimension]),
            bias: try tensor(prefix + ".bias", [dimension]), epsilon: epsilon)
    }
}
