public import ModelFiles

/// A weight matrix [rows, columns] in any GGUF tensor type, used in place
/// (W in y = W x, rows = output features; GGUF's dimensions are [columns, rows]).
///
/// Products follow llama.cpp: the activations are quantized to Q8_0 / Q8_K
/// blocks, each weight row is decoded to small integers once, and every
/// group of 16 or 32 values is an exact integer dot product, scaled by the
/// weight's and the activation's block scales in float. F32/F16/BF16 weights
/// are expanded to float32 and multiplied in float32.
public struct QuantizedMatrix: @unchecked Sendable {
    public let tensor: GGUFTensor
    public var rows: Int { tensor.rows }
    public var columns: Int { tensor.columns }
    public var type: GGMLType { tensor.type }

    public init(_ tensor: GGUFTensor) {
        self.tensor = tensor
    }

    /// Rows `range` as float32 into `output` (`range.count * columns` floats), bit-exact to ggml.
    public func dequantize(rows range: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows out of range")
        withExtendedLifetime(tensor.owner) {
            let base = tensor.bytes.baseAddress!, stride = tensor.rowBytes
            if !type.isQuantized {
                for (i, r) in range.enumerated() { expandFloatRow(base + r * stride, into: output + i * columns) }
                return
            }
            let row = UnpackedRow(type: type, columns: columns)
            for (i, r) in range.enumerated() {
                row.unpack(base + r * stride)
                row.dequantize(into: output + i * columns)
            }
        }
    }

    private func expandFloatRow(_ source: UnsafeRawPointer, into output: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            for i in 0..<columns { output[i] = source.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        case .f16:
            for i in 0..<columns { output[i] = half(source, 2 * i) }
        case .bf16:
            for i in 0..<columns {
                output[i] = Float(bitPattern: UInt32(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        default:
            preconditionFailure("not a float type")
        }
    }

    /// y = W x for one vector: `x` has `columns` floats, `y` gets `rows`.
    public func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        multiply(x, count: 1, into: y)
    }

    /// Y = X Wᵀ for `count` vectors at once (prefill): `x` is [count, columns]
    /// row-major, `y` gets [count, rows]. Each weight row is decoded once and
    /// used for every vector.
    public func multiply(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, rows range: Range<Int>? = nil) {
        let range = range ?? 0..<rows
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows out of range")
        withExtendedLifetime(tensor.owner) {
            if type.isQuantized {
                let activations = QuantizedActivations(for: type, columns: columns, count: count)
                for c in 0..<count { activations.quantize(x + c * columns, column: c) }
                multiplyQuantized(activations, into: y, rows: range)
            } else {
                multiplyFloat(x, count: count, into: y, rows: range)
            }
        }
    }

    private func multiplyFloat(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
        let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
        defer { row.deallocate() }
        let base = tensor.bytes.baseAddress!, stride = tensor.rowBytes
        for r in range {
            expandFloatRow(base + r * stride, into: row)
            for c in 0..<count { y[c * rows + r] = floatDot(row, x + c * columns, columns) }
        }
    }

    private func multiplyQuantized(_ x: QuantizedActivations, into y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
        let row = UnpackedRow(type: type, columns: columns)
        let base = tensor.bytes.baseAddress!, stride = tensor.rowBytes
        let blockSize = row.blockSize
        precondition(blockSize == x.blockSize, "weight and activation blocks line up")
        for r in range {
            row.unpack(base + r * stride)
            row.applyScales()
            for c in 0..<x.count {
                let xq = x.q + c * columns, xd = x.d + c * x.blocksPerColumn
                var sum: Float = 0
                for b in 0..<row.blocks {
                    let isum = blockSize == 32 ? dot32(row.q + 32 * b, xq + 32 * b) : dot256(row.q + 256 * b, xq + 256 * b)
                    sum += (row.d[b] * xd[b]) * Float(isum)
                }
                if row.hasMinimum {
                    sum -= floatDot(row.minimum, x.groupSum + c * (columns / 32), columns / 32)
                }
                y[c * rows + r] = sum
            }
        }
    }
}

/// Σ a[i]·b[i] over 32 Int16 values each, exactly, in Int32 (a plain loop:
/// LLVM turns it into multiply-add instructions).
@inline(__always)
func dot32(_ a: UnsafePointer<Int16>, _ b: UnsafePointer<Int16>) -> Int32 {
    var sum: Int32 = 0
    for i in 0..<32 { sum &+= Int32(a[i]) &* Int32(b[i]) }
    return sum
}

/// Σ a[i]·b[i] over 256 Int16 values each, exactly, in Int32 (|a| ≤ 4096 and
/// |b| ≤ 127 keep the sum below 2^27).
@inline(__always)
func dot256(_ a: UnsafePointer<Int16>, _ b: UnsafePointer<Int16>) -> Int32 {
    var sum: Int32 = 0
    for i in 0..<256 { sum &+= Int32(a[i]) &* Int32(b[i]) }
    return sum
}

/// Σ a[i]·b[i] in float32, eight lanes.
@inline(__always)
func floatDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var sums = SIMD8<Float>(repeating: 0)
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    for v in 0..<(n / 8) {
        sums += ra.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self)
    }
    var sum = sums.sum()
    for i in (n / 8 * 8)..<n { sum += a[i] * b[i] }
    return sum
}
