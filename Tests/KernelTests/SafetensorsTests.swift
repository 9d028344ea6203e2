import Foundation
import ModelFiles
import Testing

/// Writes safetensors files by hand (header + data) to test the reader independently.
struct SafetensorsBuilder {
    var tensors: [(name: String, dtype: String, shape: [Int], data: [UInt8])] = []
    var headerPadding = 0

    mutating func add(_ name: String, _ dtype: String, _ shape: [Int], _ data: [UInt8]) {
        tensors.append((name, dtype, shape, data))
    }

    func bytes(overrideHeader: String? = nil) -> [UInt8] {
        var header: [String] = [#""__metadata__":{"format":"pt"}"#]
        var offset = 0
        var data: [UInt8] = []
        for t in tensors {
            header.append(#""\#(t.name)":{"dtype":"\#(t.dtype)","shape":\#(t.shape),"data_offsets":[\#(offset),\#(offset + t.data.count)]}"#)
            offset += t.data.count
            data += t.data
        }
        var json = Array((overrideHeader ?? "{" + header.joined(separator: ",") + "}").utf8)
        json += [UInt8](repeating: 32, count: headerPadding)
        var length = UInt64(json.count).littleEndian
        let prefix = withUnsafeBytes(of: &length) { Array($0) }
        return prefix + json + data
    }

    static func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } }
    static func halves(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: Float16($0).bitPattern.littleEndian) { Array($0) } } }
    static func bfloats(_ values: [Float]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: UInt16($0.bitPattern >> 16).littleEndian) { Array($0) } }
    }
}

@Suite struct SafetensorsTests {
    func write(_ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID()).safetensors").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    @Test func readsF32F16AndBF16() throws {
        var b = SafetensorsBuilder()
        b.add("a", "F32", [2, 2], SafetensorsBuilder.floats([1, -2, 3.5, 0.25]))
        b.add("h", "F16", [3], SafetensorsBuilder.halves([0.5, -1.25, 1000]))
        b.add("z", "BF16", [2], SafetensorsBuilder.bfloats([1.5, -3]))
        b.add("ids", "I64", [1], [UInt8](repeating: 0, count: 8))
        let path = write(b.bytes())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata["format"] == "pt")
        #expect(try file.floats("a").values == [1, -2, 3.5, 0.25])
        #expect(try file.floats("a").shape == [2, 2])
        #expect(try file.floats("h").values == [0.5, -1.25, 1000])
        #expect(try file.floats("z").values == [1.5, -3])
        #expect(throws: ModelFileError.unsupportedType(path: path, tensor: "ids", type: "I64")) { try file.floats("ids") }
        #expect(throws: ModelFileError.missingTensor(path: path, tensor: "nope")) { try file.floats("nope") }
    }

    /// A mapped tensor whose pages are handed back reads the same values again (from the
    /// file); a heap tensor is left alone. Large enough to span several whole pages.
    @Test func releasedPagesReadBackFromTheFile() throws {
        let values = (0..<20_000).map { Float($0) * 0.5 - 7 }
        var b = SafetensorsBuilder()
        b.add("w", "F32", [values.count], SafetensorsBuilder.floats(values))
        b.add("h", "F16", [3], SafetensorsBuilder.halves([0.5, -1.25, 1000]))
        var padded = b
        padded.headerPadding = (4 - (b.bytes().count - values.count * 4 - 6 - 8) % 4) % 4
        let path = write(padded.bytes())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SafetensorsFile(path: path)
        let mapped = try file.floats("w"), heap = try file.floats("h")
        #expect(mapped.owner is MappedFile && !(heap.owner is MappedFile))
        #expect(mapped.values == values)
        #expect(mapped.releaseResidentPages())
        #expect(mapped.values == values)
        #expect(heap.releaseResidentPages())
        #expect(heap.values == [0.5, -1.25, 1000])
    }

    @Test func f32IsUsedInPlaceWhenAligned() throws {
        var b = SafetensorsBuilder()
        b.add("a", "F32", [4], SafetensorsBuilder.floats([1, 2, 3, 4]))
        let bytes = b.bytes()
        // Pad the header so the data starts on a 4-byte boundary.
        var padded = b
        padded.headerPadding = (4 - (bytes.count - 16 - 8) % 4) % 4
        let path = write(padded.bytes())
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tensor = try SafetensorsFile(path: path).floats("a")
        #expect(tensor.owner is MappedFile)
        #expect(tensor.values == [1, 2, 3, 4])
    }

    @Test func corruptFilesAreClearErrors() throws {
        var b = SafetensorsBuilder()
        b.add("weight", "F32", [2, 3], SafetensorsBuilder.floats([1, 2, 3, 4, 5, 6]))
        let good = b.bytes()
        let cases: [(String, [UInt8], String)] = [
            ("truncated data", Array(good.dropLast(5)), "weight"),
            ("truncated header", Array(good.prefix(20)), "header length"),
            ("empty", [], "empty"),
            ("tiny", [1, 2, 3], "too short"),
            ("huge header length", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + good.dropFirst(8), "header length"),
            ("not JSON", SafetensorsBuilder().bytes(overrideHeader: "{not json"), "JSON"),
            ("wrong byte count", SafetensorsBuilder().bytes(overrideHeader: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#) + [UInt8](repeating: 0, count: 8), "needs 12 bytes"),
            ("overlap", SafetensorsBuilder().bytes(overrideHeader: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#) + [UInt8](repeating: 0, count: 12), "overlaps"),
            ("negative shape", SafetensorsBuilder().bytes(overrideHeader: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#) + [0, 0, 0, 0], "shape"),
            ("unknown dtype", SafetensorsBuilder().bytes(overrideHeader: #"{"w":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}"#) + [0, 0, 0, 0], "Q9"),
            ("overflowing shape", SafetensorsBuilder().bytes(overrideHeader: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#) + [0, 0, 0, 0], "w"),
        ]
        for (label, bytes, mention) in cases {
            let path = write(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(label.isEmpty == false)
            #expect { try SafetensorsFile(path: path) } throws: { error in
                let text = "\(error)"
                return text.contains(path) && text.contains(mention)
            }
        }
        #expect(throws: ModelFileError.self) { try SafetensorsFile(path: "/no/such/model.safetensors") }
    }

    @Test func mutatedHeadersNeverCrash() throws {
        var b = SafetensorsBuilder()
        b.add("a.weight", "F32", [3, 2], SafetensorsBuilder.floats([1, 2, 3, 4, 5, 6]))
        b.add("a.bias", "F16", [3], SafetensorsBuilder.halves([1, 2, 3]))
        let good = b.bytes()
        var state: UInt64 = 99
        for _ in 0..<400 {
            var bytes = good
            state = state &* 6364136223846793005 &+ 1
            let flips = Int(state >> 60) + 1
            for k in 0..<flips {
                let at = Int((state >> UInt64(8 + k)) % UInt64(bytes.count))
                bytes[at] = UInt8(truncatingIfNeeded: state >> UInt64(k * 3))
            }
            if state % 5 == 0 { bytes = Array(bytes.prefix(Int(state % UInt64(bytes.count)))) }
            let path = write(bytes)
            if let file = try? SafetensorsFile(path: path) {
                for name in file.entries.keys { _ = try? file.floats(name) }
            }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test func shardedCheckpointsResolveThroughTheIndex() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var one = SafetensorsBuilder(), two = SafetensorsBuilder()
        one.add("x", "F32", [1], SafetensorsBuilder.floats([7]))
        two.add("y", "F32", [2], SafetensorsBuilder.floats([8, 9]))
        FileManager.default.createFile(atPath: dir + "/model-00001-of-00002.safetensors", contents: Data(one.bytes()))
        FileManager.default.createFile(atPath: dir + "/model-00002-of-00002.safetensors", contents: Data(two.bytes()))
        let index = #"{"metadata":{},"weight_map":{"x":"model-00001-of-00002.safetensors","y":"model-00002-of-00002.safetensors"}}"#
        FileManager.default.createFile(atPath: dir + "/model.safetensors.index.json", contents: Data(index.utf8))
        let checkpoint = try SafetensorsCheckpoint(directory: dir)
        #expect(checkpoint.tensorNames == ["x", "y"])
        #expect(try checkpoint.floats("y").values == [8, 9])
        #expect(throws: ModelFileError.self) { try checkpoint.floats("y", shape: [3]) }
        let badIndex = #"{"weight_map":{"z":"model-00001-of-00002.safetensors"}}"#
        FileManager.default.createFile(atPath: dir + "/model.safetensors.index.json", contents: Data(badIndex.utf8))
        #expect { try SafetensorsCheckpoint(directory: dir) } throws: { "\($0)".contains("'z'") }
    }
}
