public import Kernels
public import ModelFiles

/// The token embedding table [vocab, hidden]. GGUF tables stay in their file
/// type and only the rows that are looked up are dequantized.
public enum TokenEmbedding: Sendable {
    case dense(FloatTensor)
    case gguf(QuantizedMatrix)

    public var vocabSize: Int {
        switch self {
        case .dense(let tensor): tensor.shape[0]
        case .gguf(let matrix): matrix.rows
        }
    }

    /// Writes row `token` (`hidden` floats) to `output`.
    func row(_ token: Int, into output: UnsafeMutablePointer<Float>) {
        switch self {
        case .dense(let tensor):
            let hidden = tensor.shape[1]
            tensor.withUnsafeBuffer { output.update(from: $0.baseAddress! + token * hidden, count: hidden) }
        case .gguf(let matrix):
            matrix.dequantize(rows: token..<(token + 1), into: output)
        }
    }
}
