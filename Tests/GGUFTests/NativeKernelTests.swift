import CKernels
import Imaging
@testable import Kernels
import ModelFiles
import Testing

/// The C kernels (every level this CPU has: portable C, AVX2, AVX-512; one and
/// two threads) against the Swift reference, on random blocks of every type,
/// odd row counts, sub-ranges of rows and several columns at once.
@Suite struct NativeKernelTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Byte offsets of a block's float16 fields, and whether each is a (signed) offset.
    static func halfFields(_ type: GGMLType) -> [(offset: Int, signed: Bool)] {
        switch type {
        case .q4_0, .q5_0, .q8_0: [(0, false)]
        case .q4_1, .q5_1: [(0, false), (2, true)]
        case .q4_K, .q5_K: [(0, false), (2, false)]
        case .q6_K: [(208, false)]
        default: []
        }
    }

    /// Owns the random weight bytes for the tensor's lifetime.
    final class Storage {
        let bytes: UnsafeMutableRawBufferPointer
        init(count: Int) { bytes = .allocate(byteCount: count, alignment: 64) }
        deinit { bytes.deallocate() }
    }

    static func randomMatrix(_ type: GGMLType, rows: Int, columns: Int, using rng: inout SplitMix64) -> QuantizedMatrix {
        let blocks = rows * columns / type.blockSize
        let storage = Storage(count: blocks * type.typeSize)
        for i in 0..<storage.bytes.count { storage.bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        for b in 0..<blocks {
            for field in halfFields(type) {
                let value = Float16(Float.random(in: 0.0005...0.05, using: &rng) * (field.signed && Bool.random(using: &rng) ? -1 : 1))
                storage.bytes.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: b * type.typeSize + field.offset, as: UInt16.self)
            }
        }
        let tensor = GGUFTensor(name: "random", type: type, dimensions: [columns, rows], bytes: UnsafeRawBufferPointer(storage.bytes), owner: storage)
        return QuantizedMatrix(tensor)
    }

    func product(_ matrix: QuantizedMatrix, _ kernel: QuantizedKernel, _ x: [Float], count: Int, rows: Range<Int>? = nil) -> [Float] {
        var m = matrix
        m.kernel = kernel
        var y = [Float](repeating: .nan, count: matrix.rows * count)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { m.multiply(xs.baseAddress!, count: count, into: $0.baseAddress!, rows: rows) }
        }
        return y
    }

    @Test(arguments: types) func nativeKernelsMatchSwift(_ type: GGMLType) {
        var rng = SplitMix64(seed: 0x5157_0000 + UInt64(type.rawValue))
        let levels = Array(1...QuantizedMatrix.nativeLevel)
        #expect(QuantizedMatrix.nativeLevel >= 1)
        for trial in 0..<6 {
            let blocks = type.blockSize == 256 ? Int.random(in: 1...5, using: &rng) : Int.random(in: 1...40, using: &rng)
            let columns = blocks * type.blockSize
            // Odd and tiny row counts; the last trial is large enough to use the worker threads.
            let rows = trial == 5 ? 301 : [1, 3, 7, 13, 37][trial]
            // Random column counts (1...70) exercise the 4-column tiles and their remainders.
            let count = trial == 5 ? Int.random(in: 4...9, using: &rng) : Int.random(in: 1...70, using: &rng)
            let matrix = Self.randomMatrix(type, rows: rows, columns: columns, using: &rng)
            let x = (0..<(columns * count)).map { _ in Float.random(in: -2...2, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.01) }
            let weights = [Float](unsafeUninitializedCapacity: rows * columns) { buffer, n in
                matrix.dequantize(rows: 0..<rows, into: buffer.baseAddress!)
                n = rows * columns
            }
            let reference = product(matrix, .swift, x, count: count)
            for level in levels {
                let gemm = count >= 4 && level >= 3 && sl_qg_supports(Int32(type.rawValue)) != 0
                for threads in [1, 2] {
                    let got = product(matrix, .native(level: level, threads: threads), x, count: count)
                    var worst = 0.0
                    for c in 0..<count {
                        for r in 0..<rows {
                            var magnitude = 0.0
                            for i in 0..<columns { magnitude += abs(Double(weights[r * columns + i]) * Double(x[c * columns + i])) }
                            let error = abs(Double(got[c * rows + r]) - Double(reference[c * rows + r])) / max(magnitude, 1e-30)
                            worst = max(worst, error)
                        }
                    }
                    #expect(worst <= 2e-6, "\(type) level \(level) threads \(threads) [\(rows) x \(columns)] x\(count): relative error \(worst)")
                    // One column at a time gives the same numbers as the batch: bit for bit on the dot
                    // kernels' tiles; the int8 GEMM (AVX-512 VNNI, 4+ columns) has the same integer block
                    // sums but adds the blocks in another order, so there up to float rounding.
                    for c in Set([0, count / 2, count - 1]) where count > 1 {
                        let single = product(matrix, .native(level: level, threads: threads), Array(x[(c * columns)...]), count: 1)
                        let batch = Array(got[(c * rows)..<((c + 1) * rows)])
                        if gemm {
                            for r in 0..<rows {
                                var magnitude = 0.0
                                for i in 0..<columns { magnitude += abs(Double(weights[r * columns + i]) * Double(x[c * columns + i])) }
                                #expect(abs(Double(single[r]) - Double(batch[r])) <= 2e-6 * max(magnitude, 1e-30),
                                        "\(type) level \(level) x\(count) column \(c) row \(r): single vs batch")
                            }
                        } else {
                            #expect(single == batch, "\(type) level \(level) x\(count) column \(c): single vs batch")
                        }
                    }
                }
                // A sub-range of rows writes exactly those rows, with the same values (up to
                // float rounding where the whole matrix went through the GEMM and the sub-range not).
                if rows >= 3 {
                    let sub = 1..<(rows - 1)
                    let all = product(matrix, .native(level: level, threads: 1), x, count: count)
                    let part = product(matrix, .native(level: level, threads: 1), x, count: count, rows: sub)
                    for c in 0..<count {
                        for r in 0..<rows {
                            let value = part[c * rows + r]
                            if !sub.contains(r) {
                                #expect(value.isNaN)
                            } else if gemm {
                                var magnitude = 0.0
                                for i in 0..<columns { magnitude += abs(Double(weights[r * columns + i]) * Double(x[c * columns + i])) }
                                #expect(abs(Double(value) - Double(all[c * rows + r])) <= 2e-6 * max(magnitude, 1e-30))
                            } else {
                                #expect(value == all[c * rows + r])
                            }
                        }
                    }
                }
            }
        }
    }

    /// The C quantizer writes the same packed bytes as the Swift one + sl_q8_pack,
    /// rounding ties included (values that land on .5 after scaling).
    @Test(arguments: types) func cQuantizerMatchesSwift(_ type: GGMLType) throws {
        try #require(QuantizedMatrix.nativeLevel >= 2)
        var rng = SplitMix64(seed: 0x7155_0000 + UInt64(type.rawValue))
        let t = Int32(type.rawValue)
        for trial in 0..<20 {
            let columns = (type.blockSize == 256 ? 256 : 32) * Int.random(in: 1...6, using: &rng)
            var x = (0..<columns).map { _ in Float.random(in: -3...3, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.001) }
            if trial % 4 == 1 {
                // Halves and a max of 127: scaled values hit exact ties.
                x = (0..<columns).map { i in i % 32 == 0 ? 127 : Float(Int.random(in: -254...254, using: &rng)) / 2 }
            }
            if trial % 4 == 2 { for i in 0..<min(columns, 256) { x[i] = 0 } }  // an all-zero block
            if trial % 4 == 3 { x[5] = -x.map(abs).max()!; x[9] = -x[5] }     // a tie for the largest magnitude
            let activations = QuantizedActivations(for: type, columns: columns, count: 1)
            x.withUnsafeBufferPointer { activations.quantize($0.baseAddress!, column: 0) }
            let bytes = sl_q8_packed_bytes(t, Int32(columns))
            var expected = [UInt8](repeating: 0, count: bytes), got = [UInt8](repeating: 0xAA, count: bytes)
            expected.withUnsafeMutableBytes { sl_q8_pack(t, Int32(columns), activations.q, activations.d, activations.groupSum, $0.baseAddress!) }
            let done = x.withUnsafeBufferPointer { xs in got.withUnsafeMutableBytes { sl_q8_quantize(t, Int32(columns), xs.baseAddress!, $0.baseAddress!) } }
            #expect(done == 1)
            #expect(got == expected, "\(type) trial \(trial)")
        }
    }

    /// Every level computes the same integer block sums: with one block and
    /// scales of 1, the products are exact integers and agree bit for bit.
    @Test func levelsAgreeExactlyOnOneBlock() {
        #expect(sl_q_supports(12) == 1 && sl_q_supports(1) == 0)
        var rng = SplitMix64(seed: 42)
        for type in Self.types {
            let columns = type.blockSize
            let matrix = Self.randomMatrix(type, rows: 1, columns: columns, using: &rng)
            let x = (0..<columns).map { _ in Float.random(in: -1...1, using: &rng) }
            let values = (1...QuantizedMatrix.nativeLevel).map { product(matrix, .native(level: $0, threads: 1), x, count: 1)[0] }
            let reference = product(matrix, .swift, x, count: 1)[0]
            for v in values { #expect(abs(v - reference) <= 1e-5 * max(1, abs(reference)), "\(type): \(values) vs \(reference)") }
        }
    }
}
