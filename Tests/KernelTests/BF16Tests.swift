import CKernels
@testable import Kernels
import ModelFiles
import Testing

/// The experimental AVX512_BF16 GEMM against a double-precision product of the
/// bf16-rounded inputs (which it must match up to float32 accumulation), on
/// sizes that are not multiples of its blocks.
@Suite(.enabled(if: BF16Weight.isSupported, "needs AVX512_BF16"))
struct BF16Tests {
    static func bf16(_ x: Float) -> Double { Double(sl_bf16_to_float(sl_float_to_bf16(x))) }

    @Test func roundsToNearestEven() {
        #expect(sl_float_to_bf16(1) == 0x3F80)
        #expect(sl_float_to_bf16(1 + 0x1p-8) == 0x3F80)  // tie, even stays
        #expect(sl_float_to_bf16(1 + 3 * 0x1p-8) == 0x3F82)  // tie, odd rounds up
        #expect(sl_float_to_bf16(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(sl_float_to_bf16(-2.5) == 0xC020)
        #expect(sl_float_to_bf16(.infinity) == 0x7F80)
        #expect(sl_bf16_to_float(sl_float_to_bf16(.nan)).isNaN)
        #expect(sl_float_to_bf16(Float.greatestFiniteMagnitude) == 0x7F80)  // rounds up to infinity
    }

    @Test(arguments: [
        (1, 1, 1), (1, 33, 3), (3, 32, 2), (13, 17, 5), (12, 64, 64), (25, 65, 129),
        (50, 96, 768), (11, 31, 1030), (37, 100, 33),
    ])
    func matchesRoundedProduct(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let ldc = n + 3
        let w = KernelTests.random(n * k, seed: UInt64(7 + n), scale: 0.05)
        let x = KernelTests.random(m * k, seed: UInt64(11 + m))
        let packed = BF16Weight(.owning(w, shape: [n, k]))
        for beta: Float in [0, 1, -0.5] {
            let start = KernelTests.random(m * ldc, seed: 3)
            var c = start
            for threads: Int32 in [1, 2] {
                sl_pool_set_threads(threads)
                c = start
                x.withUnsafeBufferPointer { a in
                    c.withUnsafeMutableBufferPointer { packed.gemm(rows: m, a: a.baseAddress!, lda: k, beta: beta, c: $0.baseAddress!, ldc: ldc) }
                }
                for r in 0..<m {
                    for j in 0..<ldc {
                        guard j < n else {
                            #expect(c[r * ldc + j] == start[r * ldc + j], "wrote past n")
                            continue
                        }
                        var want = Double(beta) * Double(start[r * ldc + j]), scale = abs(want)
                        for i in 0..<k {
                            let p = Self.bf16(x[r * k + i]) * Self.bf16(w[j * k + i])
                            want += p
                            scale += abs(p)
                        }
                        #expect(abs(Double(c[r * ldc + j]) - want) <= 1e-6 * scale + 1e-30,
                                "m=\(m) n=\(n) k=\(k) beta=\(beta) threads=\(threads) [\(r), \(j)]")
                    }
                }
            }
        }
        sl_pool_set_threads(1)
    }

    @Test func threadsGiveIdenticalResults() {
        let (m, n, k) = (50, 768, 768)
        let w = KernelTests.random(n * k, seed: 1, scale: 0.02), x = KernelTests.random(m * k, seed: 2)
        let packed = BF16Weight(.owning(w, shape: [n, k]))
        var one = [Float](repeating: 0, count: m * n), two = one
        x.withUnsafeBufferPointer { a in
            sl_pool_set_threads(1)
            one.withUnsafeMutableBufferPointer { packed.gemm(rows: m, a: a.baseAddress!, lda: k, beta: 0, c: $0.baseAddress!, ldc: n) }
            sl_pool_set_threads(2)
            two.withUnsafeMutableBufferPointer { packed.gemm(rows: m, a: a.baseAddress!, lda: k, beta: 0, c: $0.baseAddress!, ldc: n) }
            sl_pool_set_threads(1)
        }
        #expect(one == two)
    }

    @Test func linearRoutesThroughBF16OnlyWhenAsked() {
        let (rows, inF, outF) = (7, 40, 70)
        let w = KernelTests.random(outF * inF, seed: 8, scale: 0.1), b = KernelTests.random(outF, seed: 9)
        let x = KernelTests.random(rows * inF, seed: 10)
        let fp32 = Linear(weight: .owning(w, shape: [outF, inF]), bias: .owning(b, shape: [outF]))
        let bf16 = Linear(weight: .owning(w, shape: [outF, inF]), bias: .owning(b, shape: [outF]), precision: .bf16)
        #expect(fp32.precision == .fp32 && fp32.bf16 == nil)
        #expect(bf16.precision == .bf16)
        var y32 = [Float](repeating: 0, count: rows * outF), y16 = y32
        var acc = [Float](repeating: 1, count: rows * outF)
        x.withUnsafeBufferPointer { input in
            y32.withUnsafeMutableBufferPointer { fp32(input.baseAddress!, rows: rows, into: $0.baseAddress!) }
            y16.withUnsafeMutableBufferPointer { bf16(input.baseAddress!, rows: rows, into: $0.baseAddress!) }
            acc.withUnsafeMutableBufferPointer { bf16.accumulate(input.baseAddress!, rows: rows, onto: $0.baseAddress!) }
        }
        var num = 0.0, den = 0.0
        for i in 0..<(rows * outF) {
            num += Double(y16[i] - y32[i]) * Double(y16[i] - y32[i]); den += Double(y32[i]) * Double(y32[i])
            #expect(abs(acc[i] - (y16[i] + 1)) < 1e-5)
        }
        let relative = (num / den).squareRoot()
        #expect(relative > 0 && relative < 1e-2, "relative error \(relative)")
    }
}
