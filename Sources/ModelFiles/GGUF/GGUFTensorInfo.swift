/// One tensor's entry in a GGUF header.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: `dimensions[0]` is the contiguous (innermost) one, the row length.
    public let dimensions: [Int]
    /// The type number as stored; `type` is nil when Sightline does not know it.
    public let rawType: UInt32
    /// Byte offset from the start of the data section.
    public let offset: Int
    /// Bytes of data, when the type is known.
    public let byteCount: Int?

    public var type: GGMLType? { GGMLType(rawValue: rawType) }

    /// Row-major order (outermost first), the order PyTorch and NumPy use.
    public var shape: [Int] { dimensions.reversed() }

    public var elementCount: Int { dimensions.reduce(1, *) }

    /// Values per row (`dimensions[0]`) and number of rows (the product of the others).
    public var columns: Int { dimensions.first ?? 1 }
    public var rows: Int { dimensions.dropFirst().reduce(1, *) }
}
