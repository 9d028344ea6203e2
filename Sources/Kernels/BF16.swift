import CKernels
public import ModelFiles

/// The arithmetic `Linear` layers use. fp32 (OpenBLAS sgemm) is the default
/// and the reference; bf16 is the fast opt-in: weights are rounded to
/// bfloat16 once at load, activations on every call, and products are
/// accumulated in float32 with AVX512_BF16 (`vdpbf16ps`).
public enum MatmulPrecision: String, Sendable, CaseIterable {
    case fp32
    case bf16

    /// What this CPU can run: bf16 falls back to fp32 without AVX512_BF16.
    public var effective: MatmulPrecision {
        self == .bf16 && !BF16Weight.isSupported ? .fp32 : self
    }
}

/// A Linear weight [out, in] converted to bfloat16 in the C kernel's blocked layout.
public final class BF16Weight: @unchecked Sendable {
    /// The CPU has AVX512F/BW/VL/BF16 and the OS saves the zmm state.
    public static let isSupported: Bool = sl_cpu_has_avx512_bf16() != 0

    public let outFeatures: Int
    public let inFeatures: Int
    private let packed: UnsafeMutablePointer<UInt16>

    public convenience init(_ weight: FloatTensor) {
        self.init(stacking: [weight])
    }

    /// Weights [out_i, in] with the same `in`, stacked row-wise into one [Σ out_i, in] weight:
    /// one GEMM then writes every layer's outputs side by side.
    public init(stacking weights: [FloatTensor]) {
        precondition(!weights.isEmpty && weights.allSatisfy { $0.shape.count == 2 }, "Linear weights are matrices")
        let inFeatures = weights[0].shape[1], outFeatures = weights.reduce(0) { $0 + $1.shape[0] }
        precondition(weights.allSatisfy { $0.shape[1] == inFeatures }, "stacked weights share their input width")
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        let count = sl_bf16_packed_size(Int32(outFeatures), Int32(inFeatures))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 2, alignment: 64)
        packed = raw.bindMemory(to: UInt16.self, capacity: max(1, count))
        if weights.count == 1 {
            weights[0].withUnsafeBuffer { w in
                sl_bf16_pack_weights(w.baseAddress!, Int32(outFeatures), Int32(inFeatures), packed)
            }
        } else {
            // Packing works on whole panels of 32 rows: stack in float32 first (load time only).
            let stacked = FloatStorage(count: outFeatures * inFeatures)
            var offset = 0
            for weight in weights {
                weight.withUnsafeBuffer { (stacked.pointer + offset).update(from: $0.baseAddress!, count: $0.count) }
                offset += weight.count
            }
            sl_bf16_pack_weights(stacked.pointer, Int32(outFeatures), Int32(inFeatures), packed)
        }
    }

    deinit { packed.deallocate() }

    /// c[rows, out] = a[rows, in] Wᵀ + beta c (rows of c `ldc` floats apart).
    @inline(__always)
    public func gemm(rows: Int, a: UnsafePointer<Float>, lda: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        sl_bf16_gemm_nt(Int32(rows), Int32(outFeatures), Int32(inFeatures), a, Int32(lda), packed, c, Int32(ldc), beta)
    }
}
