import CKernels
import Imaging
@testable import Kernels
import ModelFiles
import Testing

/// The int8 prefill GEMM (quant_gemm_vnni.c) against the dot kernel it stands
/// in for: per output the same integer block sums, so equal up to the float
/// rounding of the blocks' combination. Every type the GEMM takes, row counts
/// that are not a multiple of its 16-row panels, 1...n columns, k up to 4864.
/// Serialized: the budget test lowers the process-wide budget for a moment.
@Suite(.enabled(if: sl_qg_supports(12) != 0, "needs AVX-512 VNNI"), .serialized)
struct PrefillGEMMTests {
    static let types: [GGMLType] = [.q4_0, .q5_0, .q8_0, .q4_K, .q6_K]

    /// Packed activation columns (the layout both kernels read), `stride` bytes apart.
    final class Columns {
        let bytes: UnsafeMutableRawPointer
        let stride: Int
        init(_ type: GGMLType, _ x: [Float], columns: Int, count: Int) {
            let t = Int32(type.rawValue)
            stride = (sl_q8_packed_bytes(t, Int32(columns)) + 63) / 64 * 64
            bytes = .allocate(byteCount: stride * count, alignment: 64)
            x.withUnsafeBufferPointer { xs in
                for c in 0..<count { _ = sl_q8_quantize(t, Int32(columns), xs.baseAddress! + c * columns, bytes + c * stride) }
            }
        }
        deinit { bytes.deallocate() }
    }

    @Test(arguments: types) func gemmMatchesDotKernel(_ type: GGMLType) throws {
        var rng = SplitMix64(seed: 0x9E11_0000 + UInt64(type.rawValue))
        let t = Int32(type.rawValue)
        let shapes: [(rows: Int, columns: Int, count: Int)] = [
            (1, 256, 1), (15, 256, 3), (16, 512, 8), (17, 768, 9), (33, 896 / 128 * 256, 16), (70, 4864, 21), (5, 4864, 2),
        ]
        for shape in shapes {
            // Legacy types take any multiple of 32: an odd number of blocks too.
            let columns = type.blockSize == 32 && shape.columns == 768 ? 864 : shape.columns
            let matrix = NativeKernelTests.randomMatrix(type, rows: shape.rows, columns: columns, using: &rng)
            let x = (0..<(columns * shape.count)).map { _ in Float.random(in: -2...2, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.01) }
            let packed = Columns(type, x, columns: columns, count: shape.count)
            let base = matrix.tensor.bytes.baseAddress!, rowBytes = matrix.tensor.rowBytes
            let weights = try #require(sl_qg_pack(t, base, rowBytes, Int32(shape.rows), Int32(columns), 2))
            defer { sl_qg_free(weights) }
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: shape.rows * shape.count)
                let done = y.withUnsafeMutableBufferPointer {
                    sl_qg_matmul(weights, Int32(threads), packed.bytes, packed.stride, Int32(shape.count), $0.baseAddress!, shape.rows)
                }
                #expect(done == 1)
                var expected = [Float](repeating: 0, count: y.count)
                for c in 0..<shape.count {
                    for r in 0..<shape.rows {
                        expected[c * shape.rows + r] = sl_q_vec_dot(t, 0, Int32(columns), base + r * rowBytes, packed.bytes + c * packed.stride)
                    }
                }
                // Float rounding of about 20 block terms: far below one product's weight (a wrong
                // integer sum moves an output by ~1e-2 of the typical output).
                let (worst, typical) = Self.worstAndTypical(y, against: expected)
                #expect(worst <= 1e-5 * typical, "\(type) \(shape.rows) x \(columns) x\(shape.count) threads \(threads): \(worst) vs \(typical)")
            }
        }
    }

    /// QuantizedMatrix takes the GEMM for 4+ columns: the repacked copy appears at the
    /// first such product, and every column equals the one-column (dot kernel) product.
    @Test func quantizedMatrixUsesTheGEMMForManyColumns() {
        var rng = SplitMix64(seed: 7)
        let rows = 45, columns = 896, count = 12
        let matrix = NativeKernelTests.randomMatrix(.q5_0, rows: rows, columns: columns, using: &rng)
        let x = (0..<(columns * count)).map { _ in Float.random(in: -1...1, using: &rng) }
        var single = [Float](repeating: .nan, count: rows * count)
        x.withUnsafeBufferPointer { xs in
            single.withUnsafeMutableBufferPointer { ys in
                for c in 0..<count { matrix.multiply(xs.baseAddress! + c * columns, into: ys.baseAddress! + c * rows) }
            }
        }
        #expect(matrix.prefillBytes == 0)
        var batch = [Float](repeating: .nan, count: rows * count)
        x.withUnsafeBufferPointer { xs in batch.withUnsafeMutableBufferPointer { matrix.multiply(xs.baseAddress!, count: count, into: $0.baseAddress!) } }
        // 3 panels of 16 rows x 28 blocks x (512 value bytes + 64 scale bytes).
        #expect(matrix.prefillBytes == 3 * 28 * 576)
        let (worst, typical) = Self.worstAndTypical(batch, against: single)
        #expect(worst <= 1e-5 * typical, "\(worst) vs \(typical)")
    }

    /// A matrix whose copy would exceed the memory budget is not repacked and
    /// keeps the dot kernels: the same numbers as one column at a time, bit for bit.
    @Test func overBudgetMatrixKeepsTheDotKernels() {
        var rng = SplitMix64(seed: 8)
        let rows = 20, columns = 512, count = 6
        let matrix = NativeKernelTests.randomMatrix(.q4_K, rows: rows, columns: columns, using: &rng)
        let x = (0..<(columns * count)).map { _ in Float.random(in: -1...1, using: &rng) }
        var single = [Float](repeating: .nan, count: rows * count), batch = single
        x.withUnsafeBufferPointer { xs in
            single.withUnsafeMutableBufferPointer { ys in
                for c in 0..<count { matrix.multiply(xs.baseAddress! + c * columns, into: ys.baseAddress! + c * rows) }
            }
        }
        let budget = sl_qg_get_budget()
        sl_qg_set_budget(1)
        x.withUnsafeBufferPointer { xs in batch.withUnsafeMutableBufferPointer { matrix.multiply(xs.baseAddress!, count: count, into: $0.baseAddress!) } }
        sl_qg_set_budget(budget)
        #expect(matrix.prefillBytes == 0)
        // The 4-column tiles of the dot kernels: bit for bit the one-column results.
        #expect(batch == single)
        #expect(sl_qg_get_budget() == budget)
    }

    /// The largest difference from the reference, and the reference's RMS: the GEMM's block
    /// sums are exact integers, so only float rounding of the block terms may differ.
    static func worstAndTypical(_ values: [Float], against reference: [Float]) -> (worst: Double, typical: Double) {
        let typical = (reference.map { Double($0) * Double($0) }.reduce(0, +) / Double(max(1, reference.count))).squareRoot()
        let worst = zip(values, reference).map { abs(Double($0) - Double($1)) }.max() ?? .nan
        return (worst, typical)
    }
}
