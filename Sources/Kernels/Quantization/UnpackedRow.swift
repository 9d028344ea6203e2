public import ModelFiles

/// One row of quantized weights taken apart into what both dequantization
/// and the integer dot product need, so that each type's bit layout is
/// decoded in exactly one place:
///
///     value[i] = (d[block] · Float(scale[group])) · Float(q[i]) − minimum[group]
///
/// `q` are the small integers (Int16, ready for integer products with
/// quantized activations), groups are the ranges sharing an integer scale
/// (32 values; 16 for Q6_K), blocks the ranges sharing a float scale `d`.
/// This is the order of operations of ggml's `dequantize_row_*` (and gguf-py's
/// ports), so dequantizing through it is bit-exact. Types without an integer
/// scale use 1 (`d · 1` is exact); Q4_1/Q5_1 store their offset `m` as
/// minimum = −m (`x − (−m)` is exactly `x + m`).
///
/// The buffers are allocated once and reused row after row.
final class UnpackedRow {
    let type: GGMLType
    let columns: Int
    let blockSize: Int
    let groupSize: Int
    let hasMinimum: Bool
    let q: UnsafeMutablePointer<Int16>
    let scale: UnsafeMutablePointer<Int32>
    let d: UnsafeMutablePointer<Float>
    let minimum: UnsafeMutablePointer<Float>

    var blocks: Int { columns / blockSize }
    var groups: Int { columns / groupSize }

    init(type: GGMLType, columns: Int) {
        precondition(type.isQuantized, "only quantized rows are unpacked")
        precondition(columns % type.blockSize == 0, "a row is a whole number of blocks")
        self.type = type
        self.columns = columns
        blockSize = type.blockSize
        groupSize = type == .q6_K ? 16 : 32
        hasMinimum = [.q4_1, .q5_1, .q4_K, .q5_K].contains(type)
        q = .allocate(capacity: columns)
        scale = .allocate(capacity: columns / groupSize)
        d = .allocate(capacity: columns / blockSize)
        minimum = .allocate(capacity: columns / groupSize)
        scale.initialize(repeating: 1, count: columns / groupSize)
        minimum.initialize(repeating: 0, count: columns / groupSize)
    }

    deinit {
        q.deallocate()
        scale.deallocate()
        d.deallocate()
        minimum.deallocate()
    }

    /// Decodes the row that starts at `source` (`type.rowBytes(columns)` bytes).
    func unpack(_ source: UnsafeRawPointer) {
        switch type {
        case .q4_0: unpackLegacy(source, typeSize: 18, dOffset: 0, mOffset: nil, highOffset: nil, bias: 8)
        case .q4_1: unpackLegacy(source, typeSize: 20, dOffset: 0, mOffset: 2, highOffset: nil, bias: 0)
        case .q5_0: unpackLegacy(source, typeSize: 22, dOffset: 0, mOffset: nil, highOffset: 2, bias: 16)
        case .q5_1: unpackLegacy(source, typeSize: 24, dOffset: 0, mOffset: 2, highOffset: 4, bias: 0)
        case .q8_0: unpackQ8_0(source)
        case .q4_K: unpackQ4Q5K(source, typeSize: 144, highOffset: nil)
        case .q5_K: unpackQ4Q5K(source, typeSize: 176, highOffset: 16)
        case .q6_K: unpackQ6K(source)
        case .f32, .f16, .bf16: preconditionFailure("float rows are not unpacked")
        }
    }

    // The unpackers are plain byte loops on pointers: LLVM vectorises them
    // well, while Swift's generic SIMD conversions and shifts on 32 lanes
    // compiled to lane-by-lane code (10x slower, measured).

    /// Q4_0, Q4_1, Q5_0, Q5_1: 32 values per block; byte j holds value j in its
    /// low nibble and value j + 16 in its high nibble; Q5 adds bit j of a
    /// little-endian uint32 as bit 4 of value j.
    private func unpackLegacy(_ source: UnsafeRawPointer, typeSize: Int, dOffset: Int, mOffset: Int?, highOffset: Int?, bias: Int16) {
        let nibbleOffset = (highOffset ?? mOffset ?? dOffset) + (highOffset != nil ? 4 : 2)
        let highBits = highBitsTable
        for b in 0..<blocks {
            let block = source + b * typeSize
            d[b] = half(block, dOffset)
            if let mOffset { minimum[b] = -half(block, mOffset) }
            let nibbles = (block + nibbleOffset).assumingMemoryBound(to: UInt8.self)
            let out = q + b * 32
            for j in 0..<16 {
                out[j] = Int16(nibbles[j] & 0x0F) &- bias
                out[j + 16] = Int16(nibbles[j] >> 4) &- bias
            }
            if let highOffset {
                // Bit j of the uint32 is bit 4 of value j: one table lookup per 8 values.
                let bits = (block + highOffset).assumingMemoryBound(to: UInt8.self)
                let raw = UnsafeMutableRawPointer(out)
                for k in 0..<4 {
                    let current = raw.loadUnaligned(fromByteOffset: 16 * k, as: SIMD8<Int16>.self)
                    raw.storeBytes(of: current &+ highBits[Int(bits[k])], toByteOffset: 16 * k, as: SIMD8<Int16>.self)
                }
            }
        }
    }

    /// Q8_0: a float16 scale and 32 int8 values.
    private func unpackQ8_0(_ source: UnsafeRawPointer) {
        for b in 0..<blocks {
            let block = source + b * 34
            d[b] = half(block, 0)
            let values = (block + 2).assumingMemoryBound(to: Int8.self), out = q + b * 32
            for j in 0..<32 { out[j] = Int16(values[j]) }
        }
    }

    /// Q4_K / Q5_K: 256 values in 8 groups of 32, each with a 6-bit scale and a
    /// 6-bit minimum packed into 12 bytes (ggml's get_scale_min_k4). Each 32
    /// bytes of nibbles hold group 2k in the low and group 2k+1 in the high
    /// nibbles; Q5_K's 32 high-bit bytes give bit 4 of value l of group j in bit j of byte l.
    private func unpackQ4Q5K(_ source: UnsafeRawPointer, typeSize: Int, highOffset: Int?) {
        let nibbleOffset = highOffset == nil ? 16 : 48
        for b in 0..<blocks {
            let block = source + b * typeSize
            let blockMin = half(block, 2)
            d[b] = half(block, 0)
            let s = (block + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<8 {
                let sc: UInt8, m: UInt8
                if j < 4 {
                    sc = s[j] & 63
                    m = s[j + 4] & 63
                } else {
                    sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4)
                    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4)
                }
                scale[b * 8 + j] = Int32(sc)
                minimum[b * 8 + j] = blockMin * Float(m)
            }
            let out = q + b * 256
            for k in 0..<4 {
                let nibbles = (block + nibbleOffset + 32 * k).assumingMemoryBound(to: UInt8.self)
                let low = out + 64 * k, high = low + 32
                for l in 0..<32 {
                    low[l] = Int16(nibbles[l] & 0x0F)
                    high[l] = Int16(nibbles[l] >> 4)
                }
                if let highOffset {
                    let bits = (block + highOffset).assumingMemoryBound(to: UInt8.self)
                    let lowShift = UInt8(2 * k), highShift = UInt8(2 * k + 1)
                    for l in 0..<32 {
                        low[l] |= Int16((bits[l] >> lowShift) & 1) << 4
                        high[l] |= Int16((bits[l] >> highShift) & 1) << 4
                    }
                }
            }
        }
    }

    /// Q6_K: 256 values as 4 low bits (128 bytes) + 2 high bits (64 bytes), 16
    /// int8 scales (one per 16 values) and a float16 d at the end. Each half of
    /// 128 values takes 64 low-bit and 32 high-bit bytes: value l, l+32, l+64,
    /// l+96 (l < 32) come from the low/high nibbles of bytes l and l+32 and bit
    /// pairs 0, 2, 4, 6 of high byte l. Values are stored biased by 32.
    private func unpackQ6K(_ source: UnsafeRawPointer) {
        for b in 0..<blocks {
            let block = source + b * 210
            d[b] = half(block, 208)
            let scales = (block + 192).assumingMemoryBound(to: Int8.self)
            for j in 0..<16 { scale[b * 16 + j] = Int32(scales[j]) }
            for n in 0..<2 {
                let ql = (block + 64 * n).assumingMemoryBound(to: UInt8.self)
                let qh = (block + 128 + 32 * n).assumingMemoryBound(to: UInt8.self)
                let out = q + b * 256 + 128 * n
                for l in 0..<32 {
                    let h = qh[l]
                    out[l] = Int16((ql[l] & 0x0F) | ((h & 3) << 4)) - 32
                    out[l + 32] = Int16((ql[l + 32] & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                    out[l + 64] = Int16((ql[l] >> 4) | (((h >> 4) & 3) << 4)) - 32
                    out[l + 96] = Int16((ql[l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32
                }
            }
        }
    }

    /// The unpacked row as float32, in ggml's order of operations (bit-exact).
    func dequantize(into output: UnsafeMutablePointer<Float>) {
        let groupsPerBlock = blockSize / groupSize
        for g in 0..<groups {
            let factor = d[g / groupsPerBlock] * Float(scale[g])
            let offset = minimum[g]
            let values = q + g * groupSize, out = output + g * groupSize
            for i in 0..<groupSize { out[i] = factor * Float(values[i]) - offset }
        }
    }
}

/// For each byte value, 16 in the lanes whose bit is set (bit 4 of Q5 values).
/// A pointer, built once and never freed, so the hot loop does no array checks.
nonisolated(unsafe) private let highBitsTable: UnsafePointer<SIMD8<Int16>> = {
    let table = UnsafeMutablePointer<SIMD8<Int16>>.allocate(capacity: 256)
    for byte in 0..<256 {
        var lanes = SIMD8<Int16>()
        for bit in 0..<8 { lanes[bit] = Int16((byte >> bit) & 1) << 4 }
        table[byte] = lanes
    }
    return UnsafePointer(table)
}()

/// A little-endian float16 at `pointer + offset` as float32, exactly.
/// Without F16C in the baseline x86-64 target, `Float(Float16)` is a libcall
/// (7% of a Q4_K product). Normal halves only need their exponent rebiased
/// (+112) in integer arithmetic; subnormal ones are m · 2⁻²⁴, computed from
/// an integer so that no float operation sees a denormal operand (a ~100-cycle
/// microcode assist each on x86: Q4_K minimum scales are often subnormal).
@inline(__always)
func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
    let bits = UInt32(UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    let magnitude = bits & 0x7FFF
    let sign = (bits & 0x8000) << 16
    if magnitude >= 0x7C00 { return Float(bitPattern: sign | 0x7F80_0000 | ((magnitude & 0x3FF) << 13)) }  // inf, NaN
    if magnitude >= 0x0400 { return Float(bitPattern: sign | ((magnitude << 13) &+ (112 << 23))) }
    return Float(bitPattern: sign | (Float(magnitude) * 0x1p-24).bitPattern)
}

extension GGMLType {
    /// Block-quantized (as opposed to F32/F16/BF16).
    public var isQuantized: Bool { blockSize > 1 }
}
