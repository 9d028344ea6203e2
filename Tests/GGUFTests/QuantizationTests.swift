import Foundation
@testable import Kernels
import ModelFiles
import Testing

/// Every tensor type against gguf-py (types.gguf / reference.gguf / reference.json,
/// written by scripts/fixtures/make_gguf_fixtures.py).
@Suite struct QuantizationTests {
    static let typeNames = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]
    let types: GGUFFile
    let reference: GGUFFile
    let json: [String: Any]

    init() throws {
        types = try GGUFFile(path: Fixtures.path("types.gguf"))
        reference = try GGUFFile(path: Fixtures.path("reference.gguf"))
        json = try Fixtures.json("reference.json")
    }

    func floats(_ tensor: GGUFTensor) -> [Float] {
        #expect(tensor.type == .f32)
        return (0..<(tensor.bytes.count / 4)).map { tensor.bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    }

    func dequantized(_ matrix: QuantizedMatrix, rows: Range<Int>) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows.count * matrix.columns) { buffer, count in
            matrix.dequantize(rows: rows, into: buffer.baseAddress!)
            count = rows.count * matrix.columns
        }
    }

    @Test(arguments: typeNames) func dequantizationIsBitExact(_ name: String) throws {
        let matrix = QuantizedMatrix(try types.tensor("w." + name))
        #expect(matrix.type.description == name)
        #expect(matrix.rows == 6 && matrix.columns == 512)
        let expected = floats(try reference.tensor("deq." + name))
        let all = dequantized(matrix, rows: 0..<6)
        let mismatches = zip(all, expected).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(mismatches == 0, "\(name): \(mismatches) of \(expected.count) values differ")
        // A sub-range gives the same rows.
        #expect(dequantized(matrix, rows: 2..<4).map(\.bitPattern) == Array(all[1024..<2048]).map(\.bitPattern))
    }

    @Test(arguments: typeNames) func productsMatchTheReferences(_ name: String) throws {
        let matrix = QuantizedMatrix(try types.tensor("w." + name))
        let x = floats(try reference.tensor("x"))  // [3, 512]
        let entry = (json["types"] as! [String: Any])[name] as! [String: Any]
        let exact = (entry["dot_f64"] as! [[Double]])
        let weights = dequantized(matrix, rows: 0..<6)
        var y = [Float](repeating: .nan, count: 18)
        x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { matrix.multiply(xs.baseAddress!, count: 3, into: $0.baseAddress!) } }
        for r in 0..<6 {
            for c in 0..<3 {
                let got = Double(y[c * 6 + r])
                // How large the terms are: the scale for both tolerances.
                var magnitude = 0.0
                for i in 0..<512 { magnitude += abs(Double(weights[r * 512 + i]) * Double(x[c * 512 + i])) }
                if let q8 = entry["dot_q8"] as? [[Double]] {
                    // Same integer block sums as llama.cpp; only the float combination may differ.
                    #expect(abs(got - q8[r][c]) <= 2e-6 * magnitude, "\(name) [\(r), \(c)]: \(got) vs llama.cpp-style \(q8[r][c])")
                    // 8-bit activations: about 1% of the terms' size (the Q8 rounding error is ~0.4% per value).
                    #expect(abs(got - exact[r][c]) <= 0.01 * magnitude, "\(name) [\(r), \(c)]: \(got) vs float64 \(exact[r][c])")
                } else {
                    #expect(abs(got - exact[r][c]) <= 1e-6 * magnitude, "\(name) [\(r), \(c)]: \(got) vs float64 \(exact[r][c])")
                }
            }
        }
        // One vector at a time gives the same numbers as the batch.
        for c in 0..<3 {
            var single = [Float](repeating: .nan, count: 6)
            x.withUnsafeBufferPointer { xs in single.withUnsafeMutableBufferPointer { matrix.multiply(xs.baseAddress! + c * 512, into: $0.baseAddress!) } }
            #expect(single == Array(y[(c * 6)..<(c * 6 + 6)]))
        }
    }

    /// The integer path adds two products in Int16 before widening; the largest
    /// possible ones (Q8_0 weights of -128 against activations of ±127) must still be exact.
    @Test func extremeQ8_0ProductsStayExact() {
        var block: [UInt8] = [0x00, 0x3C]  // d = 1.0
        block += [UInt8](repeating: 0x80, count: 32)  // -128
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 34, alignment: 32)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: block)
        let tensor = GGUFTensor(name: "extreme", type: .q8_0, dimensions: [32, 1], bytes: UnsafeRawBufferPointer(bytes), owner: self as AnyObject)
        let x = [Float](repeating: 1, count: 32)  // quantizes to 127 each, d = 1/127
        var y: Float = 0
        x.withUnsafeBufferPointer { QuantizedMatrix(tensor).multiply($0.baseAddress!, into: &y) }
        #expect(y == Float(Float16(Float(1) / 127)) * -520_192)
    }

    @Test func halfConversionIsExactForAll65536Values() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = withUnsafeBytes(of: bits.littleEndian) { half($0.baseAddress!, 0) }
            if expected.isNaN {
                #expect(got.isNaN && got.sign == expected.sign, "\(bits)")
            } else {
                #expect(got.bitPattern == expected.bitPattern, "\(bits)")
            }
        }
    }

    @Test func activationQuantizationMatchesGGML() throws {
        let x = floats(try reference.tensor("x"))
        for (key, type) in [("x0_q8_0", GGMLType.q8_0), ("x0_q8_k", GGMLType.q4_K)] {
            let expected = json[key] as! [String: Any]
            let activations = QuantizedActivations(for: type, columns: 512, count: 1)
            x.withUnsafeBufferPointer { activations.quantize($0.baseAddress!, column: 0) }
            let qs = (0..<512).map { Int(activations.q[$0]) }
            let ds = (0..<activations.blocksPerColumn).map { Double(activations.d[$0]) }
            #expect(qs == expected["qs"] as! [Int], "\(key) values")
            #expect(ds == (expected["d"] as! [Double]).map { Double(Float($0)) }, "\(key) scales")
        }
    }
}
