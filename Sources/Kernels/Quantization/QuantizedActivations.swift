public import ModelFiles

/// Activation columns quantized to 8 bits the way llama.cpp does before its
/// integer dot products ("vec_dot_type"): Q8_0 blocks of 32 for the legacy
/// types, Q8_K blocks of 256 for the k-quants. Values are kept widened to
/// Int16 (they are reused against every weight row, so widening once pays),
/// with the float scale of each block and the scaled sum of each 32 values
/// (what the weights' minimums multiply).
final class QuantizedActivations {
    let columns: Int
    let count: Int
    let blockSize: Int
    let q: UnsafeMutablePointer<Int16>
    let d: UnsafeMutablePointer<Float>
    let groupSum: UnsafeMutablePointer<Float>

    var blocksPerColumn: Int { columns / blockSize }

    /// Room for `count` columns of `columns` values, in blocks for weights of `type`.
    init(for type: GGMLType, columns: Int, count: Int) {
        self.columns = columns
        self.count = count
        blockSize = type.blockSize == 256 ? 256 : 32
        q = .allocate(capacity: columns * count)
        d = .allocate(capacity: columns / blockSize * count)
        groupSum = .allocate(capacity: columns / 32 * count)
    }

    deinit {
        q.deallocate()
        d.deallocate()
        groupSum.deallocate()
    }

    /// Quantizes column `c` (`columns` floats at `x`).
    func quantize(_ x: UnsafePointer<Float>, column c: Int) {
        let values = q + c * columns, scales = d + c * blocksPerColumn, sums = groupSum + c * (columns / 32)
        if blockSize == 256 {
            for b in 0..<blocksPerColumn {
                scales[b] = Self.quantizeQ8K(x + 256 * b, into: values + 256 * b)
                for g in 0..<8 { sums[8 * b + g] = scales[b] * Float(Self.sum32(values + 256 * b + 32 * g)) }
            }
        } else {
            for b in 0..<blocksPerColumn {
                let (stored, exact) = Self.quantizeQ8_0(x + 32 * b, into: values + 32 * b)
                scales[b] = stored
                // Q8_1's s: float16(sum · d), with d before its float16 rounding.
                sums[b] = Float(Float16(Float(Self.sum32(values + 32 * b)) * exact))
            }
        }
    }

    private static func sum32(_ values: UnsafePointer<Int16>) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<32 { sum += Int32(values[i]) }
        return sum
    }

    /// ggml's quantize_row_q8_0_ref for one block: d = max|x| / 127 (kept as
    /// float16, as the block stores it), values roundf(x / d), half away from zero.
    /// Returns d as stored (float16) and as computed.
    static func quantizeQ8_0(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int16>) -> (stored: Float, exact: Float) {
        var amax: Float = 0
        for i in 0..<32 { amax = max(amax, abs(x[i])) }
        let d = amax / 127
        let inverse: Float = d != 0 ? 1 / d : 0
        for i in 0..<32 { out[i] = Int16((x[i] * inverse).rounded(.toNearestOrAwayFromZero)) }
        return (Float(Float16(d)), d)
    }

    /// ggml's quantize_row_q8_K_ref for one block: scaled by -127 / (the value
    /// of largest magnitude, first one wins), rounded half to even, capped at 127.
    static func quantizeQ8K(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int16>) -> Float {
        var amax: Float = 0, largest: Float = 0
        for i in 0..<256 where abs(x[i]) > amax {
            amax = abs(x[i])
            largest = x[i]
        }
        guard amax != 0 else {
            out.update(repeating: 0, count: 256)
            return 0
        }
        let inverse = -127 / largest
        for i in 0..<256 { out[i] = min(127, Int16((inverse * x[i]).rounded(.toNearestOrEven))) }
        return 1 / inverse
    }
}
