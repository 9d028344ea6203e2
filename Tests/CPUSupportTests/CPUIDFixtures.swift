import CPUSupport
import Foundation
import TestSupport

/// The recorded cpuid leaves in Tests/Fixtures/cpuid (see its README).
enum CPUIDFixture: String, CaseIterable, CustomStringConvertible {
    case zen4 = "zen4"
    case sapphireRapids = "sapphire-rapids"
    case haswell = "haswell"
    case unknownVendor = "unknown-vendor"

    var description: String { rawValue }

    private struct File: Decodable {
        var leaf0, leaf1, leaf7_0, leaf7_1, ext0, ext1: [String]
        var xcr0: String
    }

    struct BadHex: Error, CustomStringConvertible {
        var text: String
        var description: String { "not a hex register value: \(text)" }
    }

    private static func hex<T: FixedWidthInteger>(_ text: String) throws -> T {
        guard text.hasPrefix("0x"), let value = T(text.dropFirst(2), radix: 16) else { throw BadHex(text: text) }
        return value
    }

    func leaves() throws -> CPUIDLeaves {
        let url = RepositoryPaths.fixtures.appendingPathComponent("cpuid/\(rawValue).json")
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        func regs(_ values: [String]) throws -> [UInt32] { try values.map { try Self.hex($0) } }
        return CPUIDLeaves(
            leaf0: try regs(file.leaf0), leaf1: try regs(file.leaf1), leaf7Subleaf0: try regs(file.leaf7_0),
            leaf7Subleaf1: try regs(file.leaf7_1), extended0: try regs(file.ext0), extended1: try regs(file.ext1),
            xcr0: try Self.hex(file.xcr0))
    }

    func features() throws -> CPUFeatures { CPUFeatures(leaves: try leaves()) }
}
