import Foundation
import Kernels
import ModelFiles
import TestSupport
import Testing

/// The real Qwen2.5-Coder-0.5B-Instruct Q4_K_M file (`make models`), against
/// values gguf-py extracted into Tests/Fixtures/gguf/qwen_reference.json.
@Suite(.enabled(if: LocalModels.hasQwenCoder, "no ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (make models)"))
struct QwenFileTests {
    let file: GGUFFile
    let reference: [String: Any]

    init() throws {
        file = try GGUFFile(path: LocalModels.qwenCoderPath)
        reference = try Fixtures.json("qwen_reference.json")
    }

    @Test func headerAndMetadata() throws {
        #expect(Int(file.version) == reference["version"] as? Int)
        #expect(file.tensors.count == reference["tensor_count"] as? Int)
        #expect(file.keys.count == reference["kv_count"] as? Int)
        #expect(file.alignment == reference["alignment"] as? Int)
        #expect(file.dataStart == reference["data_start"] as? Int)
        #expect(file.architecture == "qwen2")
        for (key, value) in reference["strings"] as! [String: String] { #expect(try file.string(key) == value) }
        for (key, value) in reference["ints"] as! [String: Int] { #expect(try file.int(key) == value) }
        for (key, value) in reference["floats"] as! [String: Double] { #expect(try file.double(key) == value) }
        let tokens = try file.strings("tokenizer.ggml.tokens")
        #expect(tokens.count == reference["token_count"] as? Int)
        #expect(Array(tokens.prefix(5)) == reference["first_tokens"] as? [String])
        var counts: [String: Int] = [:]
        for info in file.tensors { counts[info.type.map { "\($0)" } ?? "?", default: 0] += 1 }
        #expect(counts == reference["type_counts"] as? [String: Int])
    }

    @Test func rowsDequantizeExactlyAndProductsMatch() throws {
        for (name, value) in reference["tensors"] as! [String: Any] {
            let expected = value as! [String: Any]
            let tensor = try file.tensor(name)
            #expect("\(tensor.type)" == expected["type"] as? String, "\(name)")
            #expect(tensor.dimensions == expected["dims"] as? [Int], "\(name)")
            #expect(file.info(name)?.offset == expected["offset"] as? Int, "\(name)")
            let matrix = QuantizedMatrix(tensor)
            var row = [Float](repeating: 0, count: matrix.columns)
            for (index, rowValue) in expected["rows"] as! [String: Any] {
                let r = Int(index)!, check = rowValue as! [String: Any]
                row.withUnsafeMutableBufferPointer { matrix.dequantize(rows: r..<(r + 1), into: $0.baseAddress!) }
                #expect(row.prefix(16).map(Double.init) == (check["first"] as! [Double]).map { Double(Float($0)) }, "\(name) row \(r)")
                // The sum of the float32 bit patterns: one wrong bit anywhere in the row changes it.
                let bitSum = row.reduce(UInt64(0)) { $0 + UInt64($1.bitPattern) }
                #expect(bitSum == (check["bit_sum"] as! NSNumber).uint64Value, "\(name) row \(r)")
            }
            if let q8 = expected["matvec_q8"] as? [Double], let exact = expected["matvec_f64"] as? [Double] {
                // x_j = ((j · 7919) mod 1000) / 500 − 1, as the script computes it.
                let x = (0..<matrix.columns).map { Float(Double((($0 * 7919) % 1000)) / 500.0 - 1.0) }
                var y = [Float](repeating: .nan, count: matrix.rows)
                x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { matrix.multiply(xs.baseAddress!, into: $0.baseAddress!) } }
                let scale = exact.map(abs).max()!
                for r in 0..<q8.count {
                    #expect(abs(Double(y[r]) - q8[r]) <= 1e-5 * scale, "\(name) row \(r): \(y[r]) vs llama.cpp-style \(q8[r])")
                    #expect(abs(Double(y[r]) - exact[r]) <= 0.01 * scale, "\(name) row \(r): \(y[r]) vs float64 \(exact[r])")
                }
            }
        }
    }
}
