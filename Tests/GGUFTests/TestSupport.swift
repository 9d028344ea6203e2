import Foundation
import ModelFiles
import TestSupport

enum Fixtures {
    static let directory = RepositoryPaths.fixtures.appendingPathComponent("gguf")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(name))) }
}

/// A temporary file that is deleted when the value goes away.
final class ScratchFile {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-\(UUID()).gguf").path

    init(_ bytes: [UInt8]) { write(bytes) }

    func write(_ bytes: [UInt8]) {
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Builds GGUF bytes by hand, for files gguf-py refuses to write.
struct GGUFBuilder {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }

    mutating func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) {
        u32(0x4655_4747)
        u32(version)
        u64(tensors)
        u64(keys)
    }

    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }
}
