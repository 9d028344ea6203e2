import ModelFiles

/// How cached keys and values are rounded.
public enum KVCachePrecision: String, Sendable {
    /// Kept in float32: agrees with transformers to float32 rounding.
    case float32
    /// Rounded to float16 as llama.cpp's default F16 cache stores them, and the
    /// attention products take float16 operands as ggml's do (queries and
    /// softmax weights rounded too): reproduces llama.cpp's numbers.
    case float16
}

/// Keys and values of every layer for a fixed budget of positions, allocated once:
/// per layer `budget` rows of `kvHeads · headDimension` floats (keys after RoPE).
public final class KVCache {
    public let layers: Int
    public let budget: Int
    public let rowWidth: Int
    let keys: FloatStorage
    let values: FloatStorage

    public init(layers: Int, budget: Int, rowWidth: Int) {
        self.layers = layers
        self.budget = budget
        self.rowWidth = rowWidth
        keys = FloatStorage(count: layers * budget * rowWidth)
        values = FloatStorage(count: layers * budget * rowWidth)
    }

    /// Layer `layer`'s keys, position 0 first.
    func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys.pointer + layer * budget * rowWidth }
    func values(layer: Int) -> UnsafeMutablePointer<Float> { values.pointer + layer * budget * rowWidth }
}
