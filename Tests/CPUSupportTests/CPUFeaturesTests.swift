import CKernels
@testable import CPUSupport
import Foundation
import Testing

@Suite("CPU-feature probe")
struct CPUFeaturesTests {
    typealias Flags = CPUFeatures.Flags

    @Test func zen4() throws {
        let cpu = try CPUIDFixture.zen4.features()
        #expect(cpu.vendor == "AuthenticAMD")
        #expect(cpu.knownVendor == .amd)
        #expect((cpu.family, cpu.model, cpu.stepping) == (0x19, 0x11, 1))
        #expect(cpu.flags.isSuperset(of: [.sse3, .ssse3, .sse4_1, .sse4_2, .sse4a, .avx, .f16c, .fma, .avx2]))
        #expect(cpu.flags.isSuperset(of: Flags.avx512Core.union([.avx512VNNI, .avx512BF16])))
        // Zen 4 has neither AVX-VNNI (the VEX form), FP16, AMX, nor AMD's old FMA4/XOP/3DNow!.
        #expect(cpu.flags.isDisjoint(with: [.avxVNNI, .avx512FP16, .amxTile, .amxInt8, .amxBF16, .fma4, .xop, .amd3DNow]))
    }

    @Test func sapphireRapids() throws {
        let cpu = try CPUIDFixture.sapphireRapids.features()
        #expect(cpu.vendor == "GenuineIntel")
        #expect((cpu.family, cpu.model, cpu.stepping) == (6, 0x8f, 8))
        #expect(cpu.flags.isSuperset(of: Flags.avx512Core.union([.avx2, .fma, .f16c, .avx512VNNI, .avx512BF16, .avx512FP16, .avxVNNI])))
        #expect(cpu.flags.isSuperset(of: [.amxTile, .amxInt8, .amxBF16]))
        #expect(cpu.flags.isDisjoint(with: [.sse4a, .fma4, .xop, .amd3DNow]))
    }

    @Test func amxNeedsTheOSTileState() throws {
        var leaves = try CPUIDFixture.sapphireRapids.leaves()
        let full = CPUFeatures(leaves: leaves)
        leaves.xcr0 &= ~((1 << 17) | (1 << 18))  // XTILECFG, XTILEDATA: a VM that does not expose AMX state
        let cpu = CPUFeatures(leaves: leaves)
        #expect(cpu.flags.isDisjoint(with: [.amxTile, .amxInt8, .amxBF16]))
        #expect(cpu.flags == full.flags.subtracting([.amxTile, .amxInt8, .amxBF16]))
    }

    @Test func avx512NeedsTheOSZMMState() throws {
        var leaves = try CPUIDFixture.sapphireRapids.leaves()
        leaves.xcr0 = 0x7  // x87, SSE, AVX only: the OS does not save opmask/ZMM registers
        let cpu = CPUFeatures(leaves: leaves)
        #expect(cpu.flags.isSuperset(of: [.avx, .avx2, .fma, .avxVNNI]))
        #expect(cpu.flags.isDisjoint(with: Flags.avx512Core.union([.avx512VNNI, .avx512BF16, .avx512FP16])))
    }

    @Test func avxNeedsOSXSAVE() throws {
        var leaves = try CPUIDFixture.zen4.leaves()
        leaves.leaf1[2] &= ~(UInt32(1) << 27)  // OSXSAVE clear: XCR0 is not readable, no AVX state is saved
        let cpu = CPUFeatures(leaves: leaves)
        #expect(cpu.flags.isSuperset(of: [.sse3, .ssse3, .sse4_1, .sse4_2]))
        #expect(cpu.flags.isDisjoint(with: Flags.avx512Core.union([.avx, .avx2, .fma, .f16c, .avx512BF16])))
    }

    @Test func haswell() throws {
        let cpu = try CPUIDFixture.haswell.features()
        #expect((cpu.vendor, cpu.family, cpu.model, cpu.stepping) == ("GenuineIntel", 6, 0x3f, 2))
        #expect(cpu.flags == [.sse3, .ssse3, .sse4_1, .sse4_2, .avx, .f16c, .fma, .avx2])
    }

    @Test func unknownVendor() throws {
        let cpu = try CPUIDFixture.unknownVendor.features()
        #expect(cpu.vendor == "  Shanghai  ")
        #expect(cpu.knownVendor == .other)
        #expect((cpu.family, cpu.model) == (7, 0xb))
        #expect(cpu.flags.isSuperset(of: [.avx2, .fma]))
        #expect(cpu.identity.contains("Shanghai"))
    }

    @Test func missingLeavesMeanNoFeatures() throws {
        var leaves = try CPUIDFixture.sapphireRapids.leaves()
        leaves.leaf0[0] = 0  // highest standard leaf 0: leaves 1 and 7 are not there, whatever they hold
        leaves.extended0 = [0, 0, 0, 0]
        let cpu = CPUFeatures(leaves: leaves)
        #expect(cpu.vendor == "GenuineIntel")
        #expect(cpu.flags.isEmpty)
        #expect((cpu.family, cpu.model) == (0, 0))
    }

    @Test func leaf7Subleaf1OnlyWhenReported() throws {
        var leaves = try CPUIDFixture.zen4.leaves()
        leaves.leaf7Subleaf0[0] = 0  // highest subleaf 0: subleaf 1 (AVX512_BF16) does not exist
        let cpu = CPUFeatures(leaves: leaves)
        #expect(!cpu.flags.contains(.avx512BF16))
        #expect(cpu.flags.isSuperset(of: Flags.avx512Core.union(.avx512VNNI)))
    }

    /// The probe agrees with the Linux kernel's own reading of this CPU (/proc/cpuinfo),
    /// which also drops flags whose register state the OS does not save.
    @Test func thisMachineMatchesProcCpuinfo() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let kernelFlags = Set(line.split(separator: ":", maxSplits: 1).last!.split(separator: " ").map(String.init))
        let cpu = CPUFeatures.current
        for (flag, name) in Flags.named {
            // /proc/cpuinfo calls SSE3 "pni"; the others use the same names.
            let kernelName = flag == .sse3 ? "pni" : name
            #expect(cpu.flags.contains(flag) == kernelFlags.contains(kernelName), "\(name)")
        }
        #expect(CPUFeatures(leaves: .read()) == cpu)
    }

    /// The C kernels dispatch on the same probe.
    @Test func kernelsDispatchOnTheProbe() {
        let cpu = CPUFeatures.current
        #expect((sl_cpu_has_avx512_bf16() != 0) == cpu.flags.isSuperset(of: [.avx512f, .avx512bw, .avx512vl, .avx512BF16]))
        let level = Int(sl_q_max_level())
        let expected = if cpu.flags.isSuperset(of: [.avx512f, .avx512bw, .avx512vl, .avx512VNNI, .avx2, .fma, .f16c]) {
            Int(SL_Q_LEVEL_AVX512)
        } else if cpu.flags.isSuperset(of: [.avx, .avx2, .fma, .f16c]) {
            Int(SL_Q_LEVEL_AVX2)
        } else {
            Int(SL_Q_LEVEL_SCALAR)
        }
        #expect(level == expected)
    }
}
