import CKernels
public import ModelFiles

/// The arithmetic `Linear` layers use. fp32 (OpenBLAS sgemm) is the default
/// and the reference; bf16 is an experimental opt-in: weights are rounded to
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

    /// Threads of the bf16 GEMM, 1 unless set. On the 2-vCPU development machine (two
    /// SMT-like threads of one core) one thread already reaches ~90% of the core's
    /// vdpbf16ps peak and a second one only adds contention.
    public static var threads: Int {
        get { Int(sl_bf16_get_threads()) }
        set { sl_bf16_set_threads(Int32(max(1, newValue))) }
    }

    public let outFeatures: Int
    public let inFeatures: Int
    private let packed: UnsafeMutablePointer<UInt16>

    public init(_ weight: FloatTensor) {
        precondition(weight.shape.count == 2, "a Linear weight is a matrix")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        let count = sl_bf16_packed_size(Int32(outFeatures), Int32(inFeatures))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 2, alignment: 64)
        packed = raw.bindMemory(to: UInt16.self, capacity: max(1, count))
        weight.withUnsafeBuffer { w in
            sl_bf16_pack_weights(w.baseAddress!, Int32(outFeatures), Int32(inFeatures), packed)
        }
    }

    deinit { packed.deallocate() }

    /// c[rows, out] = a[rows, in] Wᵀ + beta c (rows of c `ldc` floats apart).
    @inline(__always)
    public func gemm(rows: Int, a: UnsafePointer<Float>, lda: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        sl_bf16_gemm_nt(Int32(rows), Int32(outFeatures), Int32(inFeatures), a, Int32(lda), packed, c, Int32(ldc), beta)
    }
}
