import Foundation
import Kernels
import ModelFiles

/// Speed of the quantized matrix products on a real GGUF file, in GB/s of
/// weight bytes read, for the Swift reference kernels and the C kernels on 1
/// and 2 threads (timings interleaved round by round; medians, since the
/// machine is shared):
///
///     swift run -c release gguf-bench [model.gguf] [tensor ...]
///
/// 1. The named tensors (matvec and an 8-column batch).
/// 2. One token's decode: every weight matvec of the model once, in order
///    (400 MB: nothing stays in cache), GB/s per type and an estimate of
///    tokens/s from the matvec time alone.
/// 3. Synthetic 64 MB matrices of every type, matvec only.
let arguments = CommandLine.arguments.dropFirst()
let path = arguments.first ?? FileManager.default.homeDirectoryForCurrentUser
    .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
let names = arguments.count > 1 ? Array(arguments.dropFirst())
    : ["blk.2.ffn_down.weight", "blk.0.ffn_down.weight", "blk.0.ffn_gate.weight", "blk.0.attn_v.weight", "output.weight"]

struct Config: Sendable {
    let label: String
    let kernel: QuantizedKernel
}

let configs: [Config] = {
    var list = [Config(label: "swift", kernel: .swift)]
    if QuantizedMatrix.nativeLevel >= 3 { list.append(Config(label: "C avx2 1T", kernel: .native(level: 2, threads: 1))) }
    list.append(Config(label: "C best 1T", kernel: .native(level: 0, threads: 1)))
    list.append(Config(label: "C best 2T", kernel: .native(level: 0, threads: 2)))
    return list
}()
print("C kernel level \(QuantizedMatrix.nativeLevel) (1 portable C, 2 AVX2, 3 AVX-512)")

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Seconds per call of `body` for each config: `rounds` rounds, each config
/// timed once per round (at least `minimum` seconds of calls), medians.
func timeConfigs(rounds: Int, minimum: Double, _ body: (QuantizedKernel) -> Void) -> [Double] {
    var samples = [[Double]](repeating: [], count: configs.count)
    for _ in 0..<rounds {
        for (i, config) in configs.enumerated() {
            var calls = 0
            let start = now()
            repeat {
                body(config.kernel)
                calls += 1
            } while now() - start < minimum
            samples[i].append((now() - start) / Double(calls))
        }
    }
    return samples.map(median)
}

/// Left-aligned in `width` columns (String(format:) does not pad %@ on Linux).
func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }

func input(_ count: Int) -> [Float] { (0..<count).map { Float(Double(($0 * 7919) % 1000) / 500.0 - 1.0) } }

do {
    let file = try GGUFFile(path: path)

    // MARK: 1. Named tensors
    print("\n1. Named tensors (GB/s of weights, median of 5)")
    print(pad("tensor", 24) + pad("type", 6) + pad("shape", 13) + pad("product", 10) + configs.map { right($0.label, 11) }.joined())
    for name in names {
        let matrix = QuantizedMatrix(try file.tensor(name))
        let x = input(matrix.columns * 8)
        var y = [Float](repeating: 0, count: matrix.rows * 8)
        let bytes = Double(matrix.tensor.bytes.count)
        for count in [1, 8] {
            let times = timeConfigs(rounds: 5, minimum: 0.1) { kernel in
                var m = matrix
                m.kernel = kernel
                x.withUnsafeBufferPointer { xs in
                    y.withUnsafeMutableBufferPointer { m.multiply(xs.baseAddress!, count: count, into: $0.baseAddress!) }
                }
            }
            let label = count == 1 ? "matvec" : "matmul x\(count)"
            print(pad(name, 24) + pad("\(matrix.type)", 6) + pad("\(matrix.rows)x\(matrix.columns)", 13) + pad(label, 10)
                  + times.map { right(String(format: "%.2f", bytes / $0 / 1e9), 11) }.joined())
        }
    }

    // MARK: 2. One token's matvecs
    let layerWeights = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
    var weights: [QuantizedMatrix] = []
    for info in file.tensors where info.dimensions.count == 2 {
        let parts = info.name.split(separator: ".")
        if parts.first == "blk", parts.count == 4, layerWeights.contains(String(parts[2])) {
            weights.append(QuantizedMatrix(try file.tensor(info.name)))
        }
    }
    // The LM head: output.weight, or the tied token embedding.
    weights.append(QuantizedMatrix(try file.tensor(file.info("output.weight") != nil ? "output.weight" : "token_embd.weight")))
    let maxColumns = weights.map(\.columns).max()!, maxRows = weights.map(\.rows).max()!
    let x = input(maxColumns)
    var y = [Float](repeating: 0, count: maxRows)
    let totalBytes = weights.reduce(0) { $0 + $1.tensor.bytes.count }
    let typeNames = Array(Set(weights.map { "\($0.type)" })).sorted()
    print(String(format: "\n2. One token: %d weight matvecs, %.1f MB (median of 5 passes)", weights.count, Double(totalBytes) / 1e6))
    var rows: [[String]] = []
    var totals: [Double] = []
    for config in configs {
        var passes: [Double] = [], perType: [String: [Double]] = [:]
        for _ in 0..<6 {
            var typeTime: [String: Double] = [:]
            let start = now()
            x.withUnsafeBufferPointer { xs in
                y.withUnsafeMutableBufferPointer { ys in
                    for var matrix in weights {
                        matrix.kernel = config.kernel
                        let t0 = now()
                        matrix.multiply(xs.baseAddress!, into: ys.baseAddress!)
                        typeTime["\(matrix.type)", default: 0] += now() - t0
                    }
                }
            }
            passes.append(now() - start)
            for (type, time) in typeTime { perType[type, default: []].append(time) }
        }
        passes.removeFirst()  // warm-up
        let pass = median(passes)
        totals.append(pass)
        rows.append([config.label] + typeNames.map { type in
            let bytes = weights.filter { "\($0.type)" == type }.reduce(0) { $0 + $1.tensor.bytes.count }
            return String(format: "%.2f", Double(bytes) / median(Array(perType[type]!.dropFirst())) / 1e9)
        } + [String(format: "%.2f", Double(totalBytes) / pass / 1e9), String(format: "%.1f", pass * 1e3), String(format: "%.1f", 1 / pass)])
    }
    let header = ["kernel"] + typeNames.map { "\($0) GB/s" } + ["all GB/s", "ms/token", "tokens/s"]
    print(header.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
    for row in rows { print(row.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()) }
    print(String(format: "estimated decode (weight matvecs only): %.1f tokens/s (best), llama.cpp 2 threads: ~48", 1 / totals.min()!))

    // MARK: 3. Synthetic matrices of every type
    print("\n3. Synthetic 64 MB matrices, 4864 columns, random blocks (matvec GB/s, median of 5)")
    print("type   rows" + configs.map { right($0.label, 11) }.joined())
    final class Storage {
        let bytes: UnsafeMutableRawBufferPointer
        init(_ count: Int) { bytes = .allocate(byteCount: count, alignment: 64) }
        deinit { bytes.deallocate() }
    }
    for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K] {
        let columns = 4864, rowBytes = type.rowBytes(columns)!, rowCount = 64_000_000 / rowBytes
        let storage = Storage(rowCount * rowBytes)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let words = storage.bytes.count / 8
        for i in 0..<words {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            storage.bytes.storeBytes(of: state >> 16, toByteOffset: 8 * i, as: UInt64.self)
        }
        // Sane float16 scales (0.01: 0x211F) in every block's float16 fields.
        let fields: [Int] = switch type {
        case .q4_0, .q5_0, .q8_0: [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
        default: [208]
        }
        for b in 0..<(storage.bytes.count / type.typeSize) {
            for f in fields { storage.bytes.storeBytes(of: UInt16(0x211F), toByteOffset: b * type.typeSize + f, as: UInt16.self) }
        }
        let matrix = QuantizedMatrix(GGUFTensor(name: "synthetic", type: type, dimensions: [columns, rowCount],
                                                bytes: UnsafeRawBufferPointer(storage.bytes), owner: storage))
        let x = input(columns)
        var y = [Float](repeating: 0, count: rowCount)
        let times = timeConfigs(rounds: 5, minimum: 0.05) { kernel in
            var m = matrix
            m.kernel = kernel
            x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { m.multiply(xs.baseAddress!, into: $0.baseAddress!) } }
        }
        print(pad("\(type)", 5) + right("\(rowCount)", 6) + times.map { right(String(format: "%.2f", Double(storage.bytes.count) / $0 / 1e9), 11) }.joined())
    }
} catch {
    print("gguf-bench: \(error)")
    exit(1)
}
