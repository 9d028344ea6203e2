@testable import Kernels
import ModelFiles
import Testing

/// The pool's fork-join loops and the layers that run on them.
@Suite struct ParallelTests {
    @Test(arguments: [1, 2, 4])
    func everyIndexRunsExactlyOnce(threads: Int) {
        let saved = Parallel.threads
        Parallel.threads = threads
        defer { Parallel.threads = saved }
        for count in [0, 1, 2, 7, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0, count: max(1, count))
            Parallel.forEach(count) { hits[$0] += 1 }
            #expect((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
            hits.deallocate()
        }
    }

    /// A loop inside a loop finds the pool busy and runs on its caller's thread instead of deadlocking.
    @Test func nestedLoopsRunInline() {
        let saved = Parallel.threads
        Parallel.threads = 2
        defer { Parallel.threads = saved }
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        hits.initialize(repeating: 0, count: 64)
        Parallel.forEach(8) { outer in
            Parallel.forEach(8) { inner in hits[outer * 8 + inner] += 1 }
        }
        #expect((0..<64).allSatisfy { hits[$0] == 1 })
        hits.deallocate()
    }

    @Test func rangesCoverTheCountOnce() {
        let saved = Parallel.threads
        Parallel.threads = 2
        defer { Parallel.threads = saved }
        for (count, minimum) in [(0, 8), (5, 8), (50, 8), (50, 32), (1000, 1), (7, 100)] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0, count: max(1, count))
            Parallel.forEachRange(count, minimum: minimum) { range in
                for i in range { hits[i] += 1 }
            }
            #expect((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count), minimum \(minimum)")
            hits.deallocate()
        }
    }

    /// Stacked layers write what each layer writes alone, side by side: exactly, in fp32
    /// (the same sgemm calls) and in bf16 (each output column's sum is computed the same way
    /// whichever panel it lands in). Widths that are not multiples of the 32-column panels
    /// move columns across panel borders.
    @Test(arguments: [MatmulPrecision.fp32, .bf16])
    func stackedLayersMatchTheirParts(precision: MatmulPrecision) {
        let saved = Parallel.threads
        Parallel.threads = 2
        defer { Parallel.threads = saved }
        let inFeatures = 50, widths = [40, 33, 70]
        let parts = widths.enumerated().map { i, width in
            Linear(weight: .owning(KernelTests.random(width * inFeatures, seed: UInt64(20 + i), scale: 0.1), shape: [width, inFeatures]),
                   bias: i == 1 ? nil : .owning(KernelTests.random(width, seed: UInt64(30 + i)), shape: [width]))
        }
        let alone = parts.map { Linear(weight: $0.weight!, bias: $0.bias, precision: precision) }
        let stacked = StackedLinear(parts, precision: precision)
        #expect(stacked.precision == precision.effective && stacked.outFeatures == widths.reduce(0, +))
        for rows in [1, 7, 50] {
            let x = KernelTests.random(rows * inFeatures, seed: UInt64(rows))
            var together = [Float](repeating: .nan, count: rows * stacked.outFeatures)
            var separate = [[Float]]()
            x.withUnsafeBufferPointer { input in
                together.withUnsafeMutableBufferPointer { stacked(input.baseAddress!, rows: rows, into: $0.baseAddress!) }
                separate = alone.map { layer in
                    var y = [Float](repeating: 0, count: rows * layer.outFeatures)
                    y.withUnsafeMutableBufferPointer { layer(input.baseAddress!, rows: rows, into: $0.baseAddress!) }
                    return y
                }
            }
            var offset = 0, mismatches = 0
            for (part, y) in zip(alone, separate) {
                for r in 0..<rows {
                    for j in 0..<part.outFeatures where together[r * stacked.outFeatures + offset + j] != y[r * part.outFeatures + j] {
                        mismatches += 1
                    }
                }
                offset += part.outFeatures
            }
            #expect(mismatches == 0, "\(precision) rows \(rows): \(mismatches) outputs differ")
        }
    }
}
