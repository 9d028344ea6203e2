// OpenBLAS sgemm vs the AVX512_BF16 kernel (CKernels) on CLIP ViT-B/32's and
// the text tower's Linear shapes, side by side in one process: for each shape
// and thread count, repetitions alternate between the two and the medians are
// compared. Also the relative error of the bf16 product against sgemm.
//
//   swift build -c release --product bf16-bench && .build/release/bf16-bench [--reps 9] [--kc 384] [--quick] [--cold]
//
// --cold rotates every call through enough copies of the weight (128 MB) that it
// comes from memory, not the last-level cache, as in a real forward pass whose
// weights (170 MB for ViT-B/32 in bf16) are each read once per image.
import CKernels
import COpenBLAS
import Foundation
import Imaging

struct Shape { let m, n, k: Int; let label: String }

let shapes: [Shape] = [
    Shape(m: 50, n: 768, k: 768, label: "vit 1 img qkv/out"),
    Shape(m: 50, n: 3072, k: 768, label: "vit 1 img fc1"),
    Shape(m: 50, n: 768, k: 3072, label: "vit 1 img fc2"),
    Shape(m: 400, n: 768, k: 768, label: "vit 8 img qkv/out"),
    Shape(m: 400, n: 3072, k: 768, label: "vit 8 img fc1"),
    Shape(m: 400, n: 768, k: 3072, label: "vit 8 img fc2"),
    Shape(m: 192, n: 512, k: 512, label: "text qkv/out"),
    Shape(m: 192, n: 2048, k: 512, label: "text fc1"),
    Shape(m: 192, n: 512, k: 2048, label: "text fc2"),
]

var arguments = CommandLine.arguments.dropFirst()
var reps = 9
var kcValues: [Int32] = [0]
var targetSeconds = 0.02
var cold = false
while let a = arguments.popFirst() {
    switch a {
    case "--reps": reps = Int(arguments.popFirst() ?? "") ?? reps
    case "--kc": kcValues = (arguments.popFirst() ?? "0").split(separator: ",").compactMap { Int32($0) }
    case "--quick": reps = 5; targetSeconds = 0.01
    case "--cold": cold = true
    default: FileHandle.standardError.write("unknown argument \(a)\n".data(using: .utf8)!); exit(2)
    }
}

guard sl_cpu_has_avx512_bf16() != 0 else {
    print("this CPU (or OS) has no AVX512_BF16: nothing to compare")
    exit(1)
}

extension SplitMix64 {
    /// In (0, 1): the top 53 bits, offset by half a step so log() never sees 0.
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }
    /// Standard normal (Box-Muller).
    mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
}

func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

// Fork-join overhead of the persistent pool.
sl_pool_set_threads(2)
sl_bf16_pool_noop()
do {
    var samples: [Double] = []
    for _ in 0..<5 {
        let n = 20000, t0 = now()
        for _ in 0..<n { sl_bf16_pool_noop() }
        samples.append((now() - t0) / Double(n) * 1e6)
    }
    print(String(format: "pool fork-join round trip (empty job, 2 threads), worker spinning: %.2f µs median", median(samples)))
    // After 1 ms idle the worker has stopped spinning and sleeps on the condition variable.
    var woken: [Double] = []
    for _ in 0..<200 {
        usleep(1000)
        let t0 = now()
        sl_bf16_pool_noop()
        woken.append((now() - t0) * 1e6)
    }
    print(String(format: "pool fork-join round trip, worker asleep (futex wake): %.2f µs median", median(woken)))
}

print("GFLOP/s = 2*M*N*K / time; median of \(reps) alternating repetitions; ratio = bf16 / OpenBLAS")
print(String(format: "%-20@ %5@ %5@ %5@ %3@ %9@ %9@ %6@ %10@ %10@", "shape", "M", "N", "K", "thr", "openblas", "bf16", "ratio", "rel.err", "err(bf16 in)"))

var rng = SplitMix64(seed: 42)
for kc in kcValues {
    sl_bf16_set_k_block(kc)
    if kcValues.count > 1 || kc != 0 { print("k block: \(kc == 0 ? "default" : String(kc))") }
    for s in shapes {
        let a = allocate(s.m * s.k), w = allocate(s.n * s.k)
        let c32 = allocate(s.m * s.n), c16 = allocate(s.m * s.n)
        for i in 0..<(s.m * s.k) { a[i] = Float(rng.normal()) }
        for i in 0..<(s.n * s.k) { w[i] = Float(0.02 * rng.normal()) }
        let packed = UnsafeMutablePointer<UInt16>.allocate(capacity: sl_bf16_packed_size(Int32(s.n), Int32(s.k)))
        sl_bf16_pack_weights(w, Int32(s.n), Int32(s.k), packed)
        let (m, n, k) = (Int32(s.m), Int32(s.n), Int32(s.k))
        // Weight copies to rotate through (only the original unless --cold).
        let copies = cold ? max(2, (128 << 20) / (s.n * s.k * 2)) : 1
        let packedCopies = [packed] + (1..<copies).map { _ -> UnsafeMutablePointer<UInt16> in
            let count = sl_bf16_packed_size(n, k), copy = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            copy.update(from: packed, count: count)
            return copy
        }
        let floatCopies = [w] + (1..<max(1, copies / 2)).map { _ -> UnsafeMutablePointer<Float> in
            let copy = allocate(s.n * s.k)
            copy.update(from: w, count: s.n * s.k)
            return copy
        }
        var nextB = 0, nextW = 0
        func blas() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, floatCopies[nextW], k, 0, c32, n)
            nextW = (nextW + 1) % floatCopies.count
        }
        func bf16() {
            sl_bf16_gemm_nt(m, n, k, a, k, packedCopies[nextB], c16, n, 0)
            nextB = (nextB + 1) % packedCopies.count
        }

        // Accuracy: against sgemm, and against a float64 product of the bf16-rounded inputs
        // (which isolates the accumulation from the input rounding).
        openblas_set_num_threads(2); sl_pool_set_threads(2)
        blas(); bf16()
        var num = 0.0, den = 0.0
        for i in 0..<(s.m * s.n) { let d = Double(c16[i]) - Double(c32[i]); num += d * d; den += Double(c32[i]) * Double(c32[i]) }
        let relErr = (num / den).squareRoot()
        var num2 = 0.0, den2 = 0.0
        let rows = min(s.m, 16)
        for i in 0..<rows {
            for j in 0..<s.n {
                var dot = 0.0
                for q in 0..<s.k {
                    dot += Double(sl_bf16_to_float(sl_float_to_bf16(a[i * s.k + q]))) * Double(sl_bf16_to_float(sl_float_to_bf16(w[j * s.k + q])))
                }
                let d = Double(c16[i * s.n + j]) - dot
                num2 += d * d; den2 += dot * dot
            }
        }
        let accErr = (num2 / den2).squareRoot()

        let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
        let inner = max(1, Int(targetSeconds * 100e9 / flops))
        for threads in [1, 2] {
            openblas_set_num_threads(Int32(threads)); sl_pool_set_threads(Int32(threads))
            for _ in 0..<3 { blas(); bf16() }
            var tb: [Double] = [], th: [Double] = []
            for _ in 0..<reps {
                var t0 = now()
                for _ in 0..<inner { blas() }
                tb.append((now() - t0) / Double(inner))
                t0 = now()
                for _ in 0..<inner { bf16() }
                th.append((now() - t0) / Double(inner))
            }
            let gb = flops / median(tb) / 1e9, gh = flops / median(th) / 1e9
            print(String(format: "%-20@ %5d %5d %5d %3d %9.1f %9.1f %6.2f %10.2e %10.2e",
                         s.label, s.m, s.n, s.k, threads, gb, gh, gh / gb, relErr, accErr))
        }
        a.deallocate(); c32.deallocate(); c16.deallocate()
        packedCopies.forEach { $0.deallocate() }
        floatCopies.forEach { $0.deallocate() }
    }
}
