import Foundation
import Kernels
import ModelFiles

/// Single-thread speed of the quantized matrix-vector and batched products on
/// a real GGUF file, in GB/s of weight bytes read:
///
///     swift run -c release gguf-bench [model.gguf] [tensor ...]
let arguments = CommandLine.arguments.dropFirst()
let path = arguments.first ?? FileManager.default.homeDirectoryForCurrentUser
    .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
let names = arguments.count > 1 ? Array(arguments.dropFirst())
    : ["blk.2.ffn_down.weight", "blk.0.ffn_down.weight", "blk.0.ffn_gate.weight", "blk.0.attn_v.weight", "output.weight"]

do {
    let file = try GGUFFile(path: path)
    for name in names {
        let matrix = QuantizedMatrix(try file.tensor(name))
        let x = (0..<(matrix.columns * 8)).map { Float(Double(($0 * 7919) % 1000) / 500.0 - 1.0) }
        var y = [Float](repeating: 0, count: matrix.rows * 8)
        let bytes = Double(matrix.tensor.bytes.count)
        for count in [1, 8] {
            var best = Double.infinity
            // Warm the page cache, then take the best of a few runs of at least 0.2 s.
            let repeats = max(1, Int(2e8 / bytes))
            for _ in 0..<4 {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<repeats {
                    x.withUnsafeBufferPointer { xs in
                        y.withUnsafeMutableBufferPointer { matrix.multiply(xs.baseAddress!, count: count, into: $0.baseAddress!) }
                    }
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats))
            }
            let label = count == 1 ? "matvec" : "matmul x\(count)"
            print(String(format: "%-24@ %-5@ [%5d x %6d] %-11@ %8.3f ms  %6.2f GB/s of weights  %7.2f Gweights/s",
                         name, "\(matrix.type)", matrix.rows, matrix.columns, label, best * 1e3, bytes / best / 1e9,
                         Double(matrix.rows * matrix.columns * count) / best / 1e9))
        }
    }
} catch {
    print("gguf-bench: \(error)")
    exit(1)
}
