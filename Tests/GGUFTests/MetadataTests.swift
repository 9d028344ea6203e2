import Foundation
import ModelFiles
import Testing

/// metadata.gguf (written by gguf-py's GGUFWriter) read back value by value.
@Suite struct MetadataTests {
    let file: GGUFFile

    init() throws { file = try GGUFFile(path: Fixtures.path("metadata.gguf")) }

    @Test func headerAndAlignment() throws {
        #expect(file.version == 3)
        #expect(file.alignment == 64)
        #expect(file.dataStart % 64 == 0)
        #expect(file.architecture == "sightline-test")
        #expect(file.keys.first == "general.architecture")
        #expect(file.keys.count == file.metadata.count)
        let small = try file.tensor("small")
        #expect(small.type == .f32 && small.dimensions == [5])
        #expect((0..<5).map { small.bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } == [0, 1, 2, 3, 4])
    }

    @Test func everyScalarType() throws {
        #expect(file.metadata["t.uint8"] == .uint8(255))
        #expect(file.metadata["t.int8"] == .int8(-128))
        #expect(file.metadata["t.uint16"] == .uint16(65535))
        #expect(file.metadata["t.int16"] == .int16(-32768))
        #expect(file.metadata["t.uint32"] == .uint32(.max))
        #expect(file.metadata["t.int32"] == .int32(.min))
        #expect(file.metadata["t.uint64"] == .uint64(.max))
        #expect(file.metadata["t.int64"] == .int64(.min))
        #expect(file.metadata["t.float32"] == .float32(3.14159))
        #expect(file.metadata["t.float64"] == .float64(-2.718281828459045))
        #expect(try file.bool("t.bool_true") == true)
        #expect(try file.bool("t.bool_false") == false)
        #expect(try file.string("t.string") == "héllo wörld ✓ 日本語 🙂")
        #expect(try file.string("t.empty_string") == "")
        #expect(try file.int("t.int64") == Int.min)
        #expect(try file.int("t.uint32") == 4_294_967_295)
        #expect(try file.float("t.float32") == 3.14159)
        #expect(try file.double("t.float64") == -2.718281828459045)
    }

    @Test func everyArrayType() throws {
        #expect(file.metadata["a.uint8"] == .array(.uint8, [.uint8(0), .uint8(1), .uint8(255)]))
        #expect(file.metadata["a.int8"] == .array(.int8, [.int8(-128), .int8(0), .int8(127)]))
        #expect(file.metadata["a.uint16"] == .array(.uint16, [.uint16(0), .uint16(65535)]))
        #expect(file.metadata["a.int16"] == .array(.int16, [.int16(-32768), .int16(32767)]))
        #expect(file.metadata["a.uint32"] == .array(.uint32, [.uint32(0), .uint32(.max)]))
        #expect(file.metadata["a.int32"] == .array(.int32, [.int32(.min), .int32(.max)]))
        #expect(file.metadata["a.uint64"] == .array(.uint64, [.uint64(0), .uint64(.max)]))
        #expect(file.metadata["a.int64"] == .array(.int64, [.int64(.min), .int64(.max)]))
        #expect(file.metadata["a.float32"] == .array(.float32, [.float32(0.5), .float32(-1.25), .float32(1e-30)]))
        #expect(file.metadata["a.float64"] == .array(.float64, [.float64(0.1), .float64(-1e300)]))
        #expect(try file.bools("a.bool") == [true, false, true])
        #expect(try file.strings("a.string") == ["a", "", "ü", "<0x0A>"])
        #expect(try file.ints("a.int32") == [Int(Int32.min), Int(Int32.max)])
        #expect(try file.doubles("a.float32") == [0.5, -1.25, Double(Float(1e-30))])
    }

    @Test func nestedArrays() throws {
        #expect(file.metadata["n.int32s"] == .array(.array, [
            .array(.int32, [.int32(1), .int32(2), .int32(3)]), .array(.int32, [.int32(4)]), .array(.int32, [.int32(5), .int32(6)]),
        ]))
        #expect(file.metadata["n.strings"] == .array(.array, [.array(.string, [.string("x"), .string("y")]), .array(.string, [.string("z")])]))
        #expect(file.metadata["n.deep"] == .array(.array, [
            .array(.array, [.array(.float32, [.float32(1.5), .float32(2.5)])]),
            .array(.array, [.array(.float32, [.float32(3.5)])]),
        ]))
        #expect(try file.array("n.int32s").count == 3)
    }

    @Test func wrongTypesAndMissingKeysAreClearErrors() throws {
        let path = file.path
        #expect(throws: ModelFileError.missingKey(path: path, key: "nope")) { try file.string("nope") }
        #expect(throws: ModelFileError.badValue(path: path, key: "t.uint8", reason: "expected a string, found uint8")) {
            try file.string("t.uint8")
        }
        #expect(throws: ModelFileError.badValue(path: path, key: "t.uint64", reason: "expected an integer that fits Int, found uint64")) {
            try file.int("t.uint64")
        }
        #expect(throws: ModelFileError.badValue(path: path, key: "t.string", reason: "expected a float, found string")) {
            try file.double("t.string")
        }
        #expect(throws: ModelFileError.badValue(path: path, key: "a.string", reason: "expected an array of integers, found array of string")) {
            try file.ints("a.string")
        }
        #expect(throws: ModelFileError.badValue(path: path, key: "t.bool_true", reason: "expected an array, found bool")) {
            try file.array("t.bool_true")
        }
        let error = ModelFileError.badValue(path: path, key: "t.uint8", reason: "expected a string, found uint8")
        #expect(error.description == "\(path): metadata key 't.uint8': expected a string, found uint8")
    }

    @Test func version2IsReadLikeVersion3() throws {
        var bytes = try Fixtures.bytes("metadata.gguf")
        bytes[4] = 2
        let scratch = ScratchFile(bytes)
        let v2 = try GGUFFile(path: scratch.path)
        #expect(v2.version == 2)
        #expect(v2.metadata == file.metadata)
        #expect(v2.tensors == file.tensors)
    }
}
