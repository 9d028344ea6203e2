import CKernels
import Foundation
@testable import Kernels
import ModelFiles
import Testing

/// Kernels against straightforward double-precision implementations.
@Suite struct KernelTests {
    var rng = SystemRandomNumberGenerator()

    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    @Test func fastExpIsAccurate() {
        var worst: Double = 0
        for x in stride(from: -80.0, through: 80.0, by: 0.037) {
            let input = Float(x)
            let want = Foundation.exp(Double(input))
            worst = max(worst, abs(Double(fastExp(input)) - want) / want)
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        #expect(fastExp(-200) >= 0 && fastExp(-200) < 1e-37)
        #expect(fastExp(200).isFinite)
    }

    @Test func fastErfIsAccurate() {
        var worst: Double = 0
        for x in stride(from: -6.0, through: 6.0, by: 0.001) {
            let input = Float(x)
            worst = max(worst, abs(Double(fastErf(input)) - Foundation.erf(Double(input))))
        }
        // 1.5e-7 from the approximation plus float rounding.
        #expect(worst < 6e-7, "worst absolute error \(worst)")
    }

    @Test(arguments: [Activation.gelu, .quickGELU, .geluTanh])
    func activationsMatchTheirDefinitions(_ activation: Activation) {
        var values = Self.random(1000, seed: 3, scale: 8)
        let inputs = values.map(Double.init)
        values.withUnsafeMutableBufferPointer { activation.apply($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(inputs, values) {
            let want: Double = switch activation {
            case .gelu: 0.5 * x * (1 + Foundation.erf(x / 2.squareRoot()))
            case .quickGELU: x / (1 + Foundation.exp(-1.702 * x))
            case .geluTanh: 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
            }
            #expect(abs(Double(y) - want) < 1e-5 * max(1, abs(want)), "\(activation) at \(x): \(y) vs \(want)")
        }
    }

    /// Widths with and without a tail past the eight-lane vectors; 70 rows take the parallel path.
    @Test(arguments: [(3, 37), (70, 768), (65, 13), (1, 5)])
    func layerNormMatchesDefinition(shape: (rows: Int, n: Int)) {
        let (rows, n) = shape
        let x = Self.random(rows * n, seed: 5, scale: 3).enumerated().map { $1 + Float($0 % 7) }  // rows with a large mean
        let gamma = Self.random(n, seed: 6), beta = Self.random(n, seed: 7)
        let norm = LayerNorm(weight: .owning(gamma, shape: [n]), bias: .owning(beta, shape: [n]), epsilon: 1e-5)
        var out = [Float](repeating: 0, count: rows * n)
        let saved = Parallel.threads
        Parallel.threads = 2
        x.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { norm(input.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        Parallel.threads = saved
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for i in 0..<n {
                let want = (row[i] - mean) / (variance + 1e-5).squareRoot() * Double(gamma[i]) + Double(beta[i])
                #expect(abs(Double(out[r * n + i]) - want) < 1e-5)
            }
        }
    }

    @Test func linearAndAccumulateMatchMatrixProducts() {
        let rows = 4, inF = 5, outF = 3
        let w = Self.random(outF * inF, seed: 8), b = Self.random(outF, seed: 9), x = Self.random(rows * inF, seed: 10)
        let linear = Linear(weight: .owning(w, shape: [outF, inF]), bias: .owning(b, shape: [outF]))
        var y = [Float](repeating: 0, count: rows * outF)
        var acc = [Float](repeating: 1, count: rows * outF)
        x.withUnsafeBufferPointer { input in
            y.withUnsafeMutableBufferPointer { linear(input.baseAddress!, rows: rows, into: $0.baseAddress!) }
            acc.withUnsafeMutableBufferPointer { linear.accumulate(input.baseAddress!, rows: rows, onto: $0.baseAddress!) }
        }
        for r in 0..<rows {
            for o in 0..<outF {
                var want = Double(b[o])
                for i in 0..<inF { want += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                #expect(abs(Double(y[r * outF + o]) - want) < 1e-5)
                #expect(abs(Double(acc[r * outF + o]) - (want + 1)) < 1e-5)
            }
        }
    }

    /// Two sequences of three heads, with a padding key in the second. fp32 must match exactly
    /// (to float rounding); bf16 rounds queries, keys, values and probabilities to bfloat16, so
    /// its reference rounds the inputs the same way and allows for the probabilities' rounding.
    @Test(arguments: [(false, MatmulPrecision.fp32), (true, .fp32), (false, .bf16), (true, .bf16)])
    func attentionMatchesNaiveAttention(_ causal: Bool, _ precision: MatmulPrecision) {
        let sequences = 2, tokens = 6, heads = 3, hd = 4, d = heads * hd
        let qkv = Self.random(sequences * tokens * 3 * d, seed: 11, scale: 2)
        let valid = [true, true, true, true, true, true] + [true, true, true, true, false, true]
        let saved = Parallel.threads
        Parallel.threads = 2
        var out = [Float](repeating: .nan, count: sequences * tokens * d)
        qkv.withUnsafeBufferPointer { q in
            valid.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    Attention.selfAttention(
                        qkv: q.baseAddress!, sequences: sequences, tokens: tokens, shape: AttentionShape(heads: heads, headDimension: hd),
                        causal: causal, keyValid: v.baseAddress, precision: precision, scratch: AttentionScratch(), output: o.baseAddress!)
                }
            }
        }
        Parallel.threads = saved
        let bf16 = precision.effective == .bf16
        func input(_ i: Int) -> Double { bf16 ? Double(sl_bf16_to_float(sl_float_to_bf16(qkv[i]))) : Double(qkv[i]) }
        for s in 0..<sequences {
            let base = s * tokens * 3 * d
            for h in 0..<heads {
                for i in 0..<tokens {
                    var weights: [Double] = []
                    for j in 0..<tokens {
                        if (causal && j > i) || !valid[s * tokens + j] { weights.append(-.infinity); continue }
                        var dot = 0.0
                        for k in 0..<hd { dot += input(base + i * 3 * d + h * hd + k) * input(base + j * 3 * d + d + h * hd + k) }
                        weights.append(dot / Double(hd).squareRoot())
                    }
                    let m = weights.max()!
                    let e = weights.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
                    let sum = e.reduce(0, +)
                    for k in 0..<hd {
                        var want = 0.0, scale = 0.0
                        for j in 0..<tokens {
                            let value = input(base + j * 3 * d + 2 * d + h * hd + k)
                            want += e[j] / sum * value
                            scale += e[j] / sum * abs(value)
                        }
                        let got = Double(out[(s * tokens + i) * d + h * hd + k])
                        // bf16 probabilities are within 2^-8 relative of the true ones.
                        let tolerance = bf16 ? 1e-5 + scale / 256 : 1e-5
                        #expect(abs(got - want) <= tolerance, "\(precision) causal \(causal) [\(s), \(h), \(i), \(k)]: \(got) vs \(want)")
                    }
                }
            }
        }
    }

    @Test func patchesFollowConvWeightOrder() {
        // 2 channels of 4x4, patch 2: patch (py=0, px=1) of channel 1, row 1 is pixels (1, 2...3).
        let image = (0..<32).map(Float.init)
        var out = [Float](repeating: -1, count: 4 * 8)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { extractPatches(src.baseAddress!, channels: 2, height: 4, width: 4, patch: 2, into: $0.baseAddress!) }
        }
        #expect(Array(out[8..<16]) == [2, 3, 6, 7, 18, 19, 22, 23])
    }
}
