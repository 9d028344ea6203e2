import CKernels
public import ModelFiles

/// Which implementation multiplies block-quantized weights.
public enum QuantizedKernel: Sendable, Equatable {
    /// The portable Swift kernels below: the reference the tests compare against.
    case swift
    /// The C kernels (Sources/CKernels/quant_dot.c): `level` 0 is the best this
    /// CPU supports (1 portable C, 2 AVX2, 3 AVX-512, capped at what the CPU has);
    /// `threads` 0 uses `QuantizedMatrix.threads`.
    case native(level: Int = 0, threads: Int = 0)
}

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
    /// The C kernels unless set otherwise (F32/F16/BF16 weights always use Swift).
    public var kernel: QuantizedKernel = .native()
    /// The int8 prefill GEMM's copy of the weights, shared by copies of this matrix.
    private let prefill = PrefillWeights()

    public init(_ tensor: GGUFTensor, kernel: QuantizedKernel = .native()) {
        self.tensor = tensor
        self.kernel = kernel
    }

    /// Bytes of the weights repacked for the prefill GEMM so far (0 until a product with many columns).
    public var prefillBytes: Int { prefill.bytes }

    /// Default threads of the C kernels' products (the caller plus persistent workers), 1...8.
    public static var threads: Int {
        get { Int(sl_q_get_threads()) }
        set { sl_q_set_threads(Int32(max(1, newValue))) }
    }

    /// The best C kernel level this CPU supports: 1 portable C, 2 AVX2, 3 AVX-512.
    public static var nativeLevel: Int { Int(sl_q_max_level()) }

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
    /// `threads` (> 0) overrides the C kernels' threads when `kernel` leaves them at 0.
    public func multiply(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<Float>, rows range: Range<Int>? = nil, threads: Int = 0) {
        let range = range ?? 0..<rows
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows out of range")
        withExtendedLifetime(tensor.owner) {
            if type.isQuantized, case .native(let level, let kernelThreads) = kernel, count > 0, !range.isEmpty {
                // AVX2 and up: quantized in C into reused scratch, no Swift pass, no allocation.
                let t = Int32(type.rawValue), k = Int32(columns), n = kernelThreads > 0 ? kernelThreads : threads
                // Many columns (a prompt, image rows): the int8 GEMM on weights repacked once, at AVX-512 VNNI.
                if count >= PrefillWeights.minimumColumns, range == 0..<rows, level == 0 || level >= 3,
                   let packed = prefill.weights(type: t, rows: rows, columns: columns, bytes: tensor.bytes.baseAddress!,
                                                rowBytes: tensor.rowBytes, threads: n),
                   sl_qg_matmul_f32(packed, Int32(n), x, columns, Int32(count), y, rows) != 0 {
                    return
                }
                let weights = tensor.bytes.baseAddress! + range.lowerBound * tensor.rowBytes
                if sl_q_matmul_f32(t, Int32(level), Int32(n), weights, tensor.rowBytes, Int32(range.count), k,
                                   x, columns, Int32(count), y + range.lowerBound, rows) != 0 {
                    return
                }
            }
            if type.isQuantized {
                let activations = QuantizedActivations(for: type, columns: columns, count: count)
                for c in 0..<count { activations.quantize(x + c * columns, column: c) }
                if case .native(let level, let threads) = kernel, sl_q_supports(Int32(type.rawValue)) != 0 {
                    multiplyNative(activations, level: level, threads: threads, into: y, rows: range)
                } else {
                    multiplyQuantized(activations, into: y, rows: range)
                }
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

    /// The C kernels: activations repacked as int8 blocks (what llama.cpp's
    /// vec_dot functions read), then rows × columns in C, split across threads.
    private func multiplyNative(_ x: QuantizedActivations, level: Int, threads: Int, into y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
        let t = Int32(type.rawValue), k = Int32(columns)
        let stride = sl_q8_packed_bytes(t, k)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: max(1, stride * x.count), alignment: 64)
        defer { packed.deallocate() }
        for c in 0..<x.count {
            sl_q8_pack(t, k, x.q + c * columns, x.d + c * x.blocksPerColumn, x.groupSum + c * (columns / 32), packed + c * stride)
        }
        let weights = tensor.bytes.baseAddress! + range.lowerBound * tensor.rowBytes
        let done = sl_q_matmul(t, Int32(level), Int32(threads), weights, tensor.rowBytes, Int32(range.count), k,
                               packed, stride, Int32(x.count), y + range.lowerBound, rows)
        precondition(done != 0, "C kernels for \(type)")
    }

    private func multiplyQuantized(_ x: QuantizedActivations, into y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
        let row = UnpackedRow(type: type, columns: columns)
        let base = tensor.bytes.baseAddress!, stride = tensor.rowBytes
        let blockSize = row.blockSize, groupSize = row.groupSize
        precondition(blockSize == x.blockSize, "weight and activation blocks line up")
        let groupsPerBlock = blockSize / groupSize
        // Per block: the integer dot product (as float), then one vectorised
        // pass Σ d_w·d_x·sum, so the float additions do not form one long chain.
        let blockSums = UnsafeMutablePointer<Float>.allocate(capacity: row.blocks)
        defer { blockSums.deallocate() }
        for r in range {
            row.unpack(base + r * stride)
            for c in 0..<x.count {
                let xq = x.q + c * columns, xd = x.d + c * x.blocksPerColumn
                for b in 0..<row.blocks {
                    var lanes = SIMD8<Int32>(), scaled: Int32 = 0
                    if groupsPerBlock == 1 {
                        // Legacy types: one block is one group of 32 with no integer scale.
                        let w = UnsafeRawPointer(row.q + 32 * b), v = UnsafeRawPointer(xq + 32 * b)
                        lanes = widenedProducts(w, v, count: 32)
                    } else {
                        for g in (b * groupsPerBlock)..<((b + 1) * groupsPerBlock) {
                            let w = UnsafeRawPointer(row.q + g * groupSize), v = UnsafeRawPointer(xq + g * groupSize)
                            let group = widenedProducts(w, v, count: groupSize)
                            // Reduced first, then scaled: SSE2 has no 32-bit lane multiply.
                            scaled &+= group.wrappedSum() &* row.scale[g]
                        }
                    }
                    blockSums[b] = Float(lanes.wrappedSum() &+ scaled)
                }
                var sum = scaledSum(row.d, xd, blockSums, row.blocks)
                if row.hasMinimum {
                    sum -= floatDot(row.minimum, x.groupSum + c * (columns / 32), columns / 32)
                }
                y[c * rows + r] = sum
            }
        }
    }
}

/// The products w[i]·x[i] of 16 or 32 Int16 values, summed into 8 Int32
/// lanes (their total is the dot product) — SSE2's pmaddwd, written with
/// plain vector operations, since Swift's SIMD widening conversions compile
/// lane by lane. For 32 values, the products i and i+16 are first added in
/// Int16: every weight type keeps |w·x| ≤ 128·127 against 8-bit activations,
/// so two of them fit (≤ 32512). Then adjacent Int16 lanes are added as Int32.
@inline(__always)
func widenedProducts(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, count: Int) -> SIMD8<Int32> {
    var products = w.loadUnaligned(as: SIMD16<Int16>.self) &* x.loadUnaligned(as: SIMD16<Int16>.self)
    if count == 32 {
        products &+= w.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int16>.self) &* x.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int16>.self)
    }
    let pairs = unsafeBitCast(products, to: SIMD8<Int32>.self)
    // Little-endian: the low half of each Int32 lane is the even Int16 lane.
    return ((pairs &<< 16) &>> 16) &+ (pairs &>> 16)
}

/// Σ (a[i]·b[i])·c[i] in float32, eight lanes.
@inline(__always)
func scaledSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ n: Int) -> Float {
    var sums = SIMD8<Float>(repeating: 0)
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), rc = UnsafeRawPointer(c)
    for v in 0..<(n / 8) {
        let scale = ra.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self)
        sums += scale * rc.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self)
    }
    var sum = sums.sum()
    for i in (n / 8 * 8)..<n { sum += (a[i] * b[i]) * c[i] }
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
