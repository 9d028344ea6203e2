import Foundation
import Imaging
import ModelFiles
import Testing

/// Truncated, corrupt and hostile files: each is a clear error naming the
/// file (and the key or tensor), never a crash or a huge allocation.
@Suite struct MalformedFileTests {
    /// Opens `bytes` as a file and returns the error's description, or nil if it opened.
    static func openError(_ bytes: [UInt8]) -> String? {
        let scratch = ScratchFile(bytes)
        do {
            _ = try GGUFFile(path: scratch.path)
            return nil
        } catch {
            #expect(error.description.contains(scratch.path))
            return error.description
        }
    }

    static func expectError(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let message = openError(bytes)
        #expect(message?.contains(fragment) == true, "expected '\(fragment)', got \(message ?? "no error")", sourceLocation: sourceLocation)
    }

    @Test func truncationAtEveryHeaderPositionIsAnError() throws {
        for name in ["metadata.gguf", "types.gguf"] {
            let bytes = try Fixtures.bytes(name)
            let dataStart = try GGUFFile(path: Fixtures.path(name)).dataStart
            // Every cut inside the header, then every 97th inside the data (each cuts a tensor short).
            for length in Array(0..<dataStart) + Array(stride(from: dataStart, to: bytes.count, by: 97)) {
                #expect(Self.openError(Array(bytes[0..<length])) != nil, "\(name) cut to \(length) bytes opened")
            }
        }
    }

    @Test func absurdCountsAndLengths() {
        var b = GGUFBuilder()
        b.header(tensors: 1 << 60, keys: 0)
        Self.expectError(b.bytes, "tensor count 1152921504606846976 does not fit")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: .max)
        Self.expectError(b.bytes, "metadata key count 18446744073709551615 does not fit")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: 1)
        b.u64(1 << 60)
        b.bytes += Array("key".utf8) + [UInt8](repeating: 0, count: 16)
        Self.expectError(b.bytes, "metadata key #0: the key length 1152921504606846976 does not fit")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: 1)
        b.string("k")
        b.u32(8)  // string
        b.u64(1000)
        b.bytes += Array("short".utf8)
        Self.expectError(b.bytes, "key 'k': string value length 1000 does not fit the 5 bytes left")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: 1)
        b.string("k")
        b.u32(9)  // array
        b.u32(10) // of uint64
        b.u64(1 << 62)
        b.u64(7)
        Self.expectError(b.bytes, "key 'k': array length 4611686018427387904 does not fit")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: 1)
        b.string("k")
        b.u32(9)
        b.u32(8)  // of strings, each claiming a huge length
        b.u64(1)
        b.u64(.max)
        Self.expectError(b.bytes, "key 'k': string value length 18446744073709551615 does not fit")
    }

    @Test func badValuesAndTypes() {
        func file(_ body: (inout GGUFBuilder) -> Void) -> [UInt8] {
            var b = GGUFBuilder()
            b.header(tensors: 0, keys: 1)
            b.string("k")
            body(&b)
            return b.bytes
        }
        Self.expectError(file { $0.u32(13); $0.u64(0) }, "key 'k': unknown value type 13")
        Self.expectError(file { $0.u32(9); $0.u32(77); $0.u64(0) }, "key 'k': unknown value type 77")
        Self.expectError(file { $0.u32(7); $0.u8(2) }, "key 'k': bool value 2 is neither 0 nor 1")
        // Arrays of arrays nested past the limit: refused before the recursion gets deep.
        Self.expectError(file { b in
            b.u32(9)
            for _ in 0..<20 { b.u32(9); b.u64(1) }
        }, "key 'k': arrays nested more than 8 deep")
        // An empty array still declares its element type.
        let scratch = ScratchFile(file { $0.u32(9); $0.u32(5); $0.u64(0) })
        #expect((try? GGUFFile(path: scratch.path))?.metadata["k"] == .array(.int32, []))

        var b = GGUFBuilder()
        b.header(tensors: 0, keys: 2)
        b.string("k"); b.u32(4); b.u32(1)
        b.string("k"); b.u32(4); b.u32(2)
        Self.expectError(b.bytes, "key 'k': appears twice")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: 1)
        b.u64(2); b.bytes += [0xFF, 0xFE]; b.u32(4); b.u32(1)
        Self.expectError(b.bytes, "metadata key #0: the key is not valid UTF-8")

        b = GGUFBuilder()
        b.header(tensors: 0, keys: 1)
        b.string("general.alignment"); b.u32(4); b.u32(48)
        Self.expectError(b.bytes, "key 'general.alignment': uint32(48) is not a uint32 power of two")
    }

    @Test func badMagicAndVersions() {
        Self.expectError(Array("GGML".utf8) + [3, 0, 0, 0], "no GGUF magic")
        for version: UInt32 in [1, 4, 0x0300_0000] {
            var b = GGUFBuilder()
            b.header(version: version, tensors: 0, keys: 0)
            Self.expectError(b.bytes, "GGUF version \(version) is not supported")
        }
        var b = GGUFBuilder()
        b.header(version: 0x0300_0000, tensors: 0, keys: 0)
        Self.expectError(b.bytes, "big-endian")
        Self.expectError([0x47, 0x47], "the magic number needs 4 bytes at offset 0")
    }

    /// A file with the given tensor infos (type F32 unless given) and `dataBytes` of data.
    static func tensorFile(_ infos: [(String, [UInt64], UInt32, UInt64)], dataBytes: Int) -> [UInt8] {
        var b = GGUFBuilder()
        b.header(tensors: UInt64(infos.count), keys: 0)
        for (name, dims, type, offset) in infos { b.tensorInfo(name, dims: dims, type: type, offset: offset) }
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: dataBytes)
        return b.bytes
    }

    @Test func badTensorInfos() throws {
        #expect(Self.openError(Self.tensorFile([("a", [8], 0, 0), ("b", [8], 0, 32)], dataBytes: 64)) == nil)
        Self.expectError(Self.tensorFile([("a", [8], 0, 16)], dataBytes: 64),
                         "tensor 'a': data offset 16 is not a multiple of the alignment 32")
        Self.expectError(Self.tensorFile([("a", [16], 0, 0), ("b", [8], 0, 32)], dataBytes: 64),
                         "tensor 'b': its data overlaps tensor 'a'")
        Self.expectError(Self.tensorFile([("a", [8], 0, 64)], dataBytes: 64),
                         "tensor 'a': data at offset 64 (+32 bytes) falls outside the 64-byte data section")
        Self.expectError(Self.tensorFile([("a", [8], 0, 1 << 62)], dataBytes: 64), "tensor 'a': data at offset 4611686018427387904")
        Self.expectError(Self.tensorFile([("a", [.max], 0, 0)], dataBytes: 64), "tensor 'a': dimensions overflow at dimension 0")
        Self.expectError(Self.tensorFile([("a", [1 << 32, 1 << 32], 0, 0)], dataBytes: 64), "tensor 'a': dimensions overflow at dimension 1")
        Self.expectError(Self.tensorFile([("a", [1 << 40, 1 << 21], 0, 0)], dataBytes: 64), "tensor 'a': F32 [1099511627776, 2097152] overflows")
        Self.expectError(Self.tensorFile([("a", [], 0, 0)], dataBytes: 64), "tensor 'a': 0 dimensions")
        Self.expectError(Self.tensorFile([("a", [1, 1, 1, 1, 1], 0, 0)], dataBytes: 64), "tensor 'a': 5 dimensions")
        Self.expectError(Self.tensorFile([("a", [8], 0, 0), ("a", [8], 0, 32)], dataBytes: 64), "tensor 'a': appears twice")
        Self.expectError(Self.tensorFile([("q", [33], 8, 0)], dataBytes: 64),
                         "tensor 'q': row length 33 is not a multiple of the Q8_0 block size 32")
        var b = GGUFBuilder()
        b.header(tensors: 1, keys: 0)
        b.string("a"); b.u32(.max)
        b.bytes += [UInt8](repeating: 0, count: 64)
        Self.expectError(b.bytes, "tensor 'a': 4294967295 dimensions")
        // An unknown type cannot be sized; the file opens, and using the tensor names the type.
        let scratch = ScratchFile(Self.tensorFile([("u", [8], 99, 0)], dataBytes: 64))
        let file = try GGUFFile(path: scratch.path)
        #expect(file.info("u")?.rawType == 99 && file.info("u")?.type == nil)
        #expect(throws: ModelFileError.unsupportedType(path: scratch.path, tensor: "u", type: "ggml type 99")) { try file.tensor("u") }
        #expect(throws: ModelFileError.missingTensor(path: scratch.path, tensor: "v")) { try file.tensor("v") }
    }

    @Test func unsupportedTypeInAGGUFPyFileOnlyFailsWhenUsed() throws {
        let file = try GGUFFile(path: Fixtures.path("types.gguf"))
        #expect(file.info("unsupported.q2_k")?.rawType == 10)
        let error = #expect(throws: ModelFileError.self) { try file.tensor("unsupported.q2_k") }
        #expect(error?.description == "\(file.path): tensor 'unsupported.q2_k' has unsupported type ggml type 10")
        let threeD = try file.tensor("three_d")
        #expect(threeD.dimensions == [32, 3, 2] && threeD.shape == [2, 3, 32] && threeD.rows == 6 && threeD.columns == 32)
        #expect(threeD.bytes.loadUnaligned(fromByteOffset: 4 * 100, as: Float.self) == 100)
    }

    /// Random byte flips, runs of 0xFF / 0x00, inserted and removed bytes in the
    /// headers of both fixtures: every result opens or fails cleanly, and every
    /// tensor of a file that opens is readable end to end.
    @Test(.timeLimit(.minutes(1))) func mutationFuzz() throws {
        var rng = SplitMix64(seed: 7)
        let scratch = ScratchFile([])
        var opened = 0, rejected = 0
        for name in ["metadata.gguf", "types.gguf"] {
            let original = try Fixtures.bytes(name)
            let headerEnd = try GGUFFile(path: Fixtures.path(name)).dataStart
            for _ in 0..<2_000 {
                var bytes = original
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let at = Int(rng.next() % UInt64(headerEnd))
                    switch rng.next() % 6 {
                    case 0: bytes[at] ^= UInt8(1 << (rng.next() % 8))
                    case 1: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                    case 2: for i in at..<min(at + 8, bytes.count) { bytes[i] = 0xFF }
                    case 3: for i in at..<min(at + 8, bytes.count) { bytes[i] = 0 }
                    case 4: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                    default: bytes.remove(at: at)
                    }
                }
                scratch.write(bytes)
                guard let file = try? GGUFFile(path: scratch.path) else {
                    rejected += 1
                    continue
                }
                opened += 1
                for info in file.tensors {
                    guard let tensor = try? file.tensor(info.name) else { continue }
                    var checksum: UInt8 = 0
                    if let last = tensor.bytes.last, let first = tensor.bytes.first { checksum = first ^ last }
                    _ = checksum
                }
            }
        }
        #expect(opened > 0 && rejected > 0)
    }
}
