@testable import CPUSupport
import Testing

@Suite("OpenBLAS core decision")
struct BLASCoreDecisionTests {
    func decide(_ fixture: CPUIDFixture, running: String, request: BLASCoreDecision.Request? = nil,
                dynamicArch: Bool = true) throws -> BLASCoreDecision {
        BLASCoreDecision.decide(.init(cpu: try fixture.features(), runningCore: running, dynamicArch: dynamicArch, request: request))
    }

    func message(_ decision: BLASCoreDecision) -> String? {
        switch decision {
        case .warn(let text), .refuse(let text): text
        case .keep, .restart: nil
        }
    }

    // MARK: OpenBLAS's own choice

    @Test func zen4KeepsCooperlake() throws {
        // What Debian's 0.3.21 picks on the Zen 4 by itself.
        #expect(try decide(.zen4, running: "Cooperlake") == .keep)
    }

    @Test func zen4BelowItsBestRestarts() throws {
        for low in ["Prescott", "Zen", "Haswell", "Sandybridge", "SkylakeX"] {
            #expect(try decide(.zen4, running: low) == .restart(withCore: "Cooperlake"), "\(low)")
        }
    }

    @Test func sapphireRapidsOnPrescottRestartsWithCooperlake() throws {
        // The issue's case: 0.3.21 does not know the CPU and runs its SSE3 kernels.
        #expect(try decide(.sapphireRapids, running: "Prescott") == .restart(withCore: "Cooperlake"))
        #expect(try decide(.sapphireRapids, running: "Cooperlake") == .keep)
    }

    @Test func withoutBF16TheBestIsSkylakeX() throws {
        var leaves = try CPUIDFixture.sapphireRapids.leaves()
        leaves.leaf7Subleaf1[0] &= ~(UInt32(1) << 5)  // AVX512_BF16 off: a Skylake-SP/Ice Lake class CPU
        let cpu = CPUFeatures(leaves: leaves)
        let facts = BLASCoreDecision.Inputs(cpu: cpu, runningCore: "Prescott", dynamicArch: true, request: nil)
        #expect(BLASCoreDecision.decide(facts) == .restart(withCore: "SkylakeX"))
    }

    @Test func withoutOSAVX512StateTheBestIsAVX2() throws {
        var leaves = try CPUIDFixture.sapphireRapids.leaves()
        leaves.xcr0 = 0x7
        let intel = BLASCoreDecision.Inputs(cpu: CPUFeatures(leaves: leaves), runningCore: "SkylakeX", dynamicArch: true, request: nil)
        // A core the CPU cannot run is replaced even though its tier is higher.
        #expect(BLASCoreDecision.decide(intel) == .restart(withCore: "Haswell"))
        var amd = try CPUIDFixture.zen4.leaves()
        amd.xcr0 = 0x7
        let zen = BLASCoreDecision.Inputs(cpu: CPUFeatures(leaves: amd), runningCore: "Prescott", dynamicArch: true, request: nil)
        #expect(BLASCoreDecision.decide(zen) == .restart(withCore: "Zen"))
    }

    @Test func haswell() throws {
        #expect(try decide(.haswell, running: "Haswell") == .keep)
        #expect(try decide(.haswell, running: "Zen") == .keep)  // the same AVX2 kernels, tuned for AMD
        #expect(try decide(.haswell, running: "Prescott") == .restart(withCore: "Haswell"))
        #expect(try decide(.haswell, running: "Sandybridge") == .restart(withCore: "Haswell"))
    }

    @Test func singleCoreBuildsAreLeftAlone() throws {
        #expect(try decide(.sapphireRapids, running: "Prescott", dynamicArch: false) == .keep)
    }

    @Test func coresNewerThanTheTableAreTrusted() throws {
        #expect(try decide(.sapphireRapids, running: "SapphireRapids") == .keep)
    }

    @Test func unknownCPUWarnsAndKeepsOpenBLASsChoice() throws {
        for running in ["Prescott", "Haswell"] {
            let decision = try decide(.unknownVendor, running: running)
            let text = try #require(message(decision))
            guard case .warn = decision else { Issue.record("expected a warning, got \(decision)"); continue }
            #expect(text.contains("unknown CPU"))
            #expect(text.contains("Shanghai"))
            #expect(text.contains(running))
            #expect(!text.contains("\n"))
        }
    }

    // MARK: The user's OPENBLAS_CORETYPE

    @Test func userCoreTheCPURunsIsKept() throws {
        // SkylakeX is below Cooperlake on this CPU, but it is the user's choice.
        #expect(try decide(.sapphireRapids, running: "SkylakeX", request: .user("SKYLAKEX")) == .keep)
        #expect(try decide(.zen4, running: "Prescott", request: .user("prescott")) == .keep)
        #expect(try decide(.zen4, running: "Prescott", request: .user("Katmai")) == .keep)  // an alias OpenBLAS maps to Prescott
        #expect(try decide(.unknownVendor, running: "Haswell", request: .user("Haswell")) == .keep)
    }

    @Test func userCoreNeedingMissingInstructionsIsRefused() throws {
        let cases: [(CPUIDFixture, String, [String])] = [
            (.zen4, "Bulldozer", ["fma4", "xop"]),
            (.sapphireRapids, "Opteron", ["3dnow"]),
            (.haswell, "SkylakeX", ["avx512f", "avx512bw"]),
            (.haswell, "Cooperlake", ["avx512_bf16"]),
            (.zen4, "Barcelona", []),  // Zen has SSE4A: allowed
            (.sapphireRapids, "Barcelona", ["sse4a"]),
        ]
        for (fixture, core, missing) in cases {
            let decision = try decide(fixture, running: core, request: .user(core))
            if missing.isEmpty {
                #expect(decision == .keep, "\(fixture) \(core)")
                continue
            }
            guard case .refuse(let text) = decision else { Issue.record("\(fixture) \(core): \(decision)"); continue }
            #expect(text.hasPrefix("OPENBLAS_CORETYPE=\(core) needs "))
            for name in missing { #expect(text.contains(name), "\(text)") }
            #expect(!text.contains("\n"))
            // It names cores that would work instead, best first.
            let best = try #require(OpenBLASCore.best(for: try fixture.features()))
            #expect(text.contains("use one of: \(best.name)"), "\(text)")
        }
    }

    /// OpenBLAS ignores a name it does not know and picks its own kernels without a word:
    /// harmless, so a warning, and where its own pick is too narrow the usual restart.
    @Test func userCoreOpenBLASDoesNotKnowIsIgnoredWithAWarning() throws {
        let decision = try decide(.zen4, running: "Cooperlake", request: .user("Zen4"))
        guard case .warn(let text) = decision else { Issue.record("\(decision)"); return }
        #expect(text.contains("OPENBLAS_CORETYPE=Zen4 is not a core this OpenBLAS has"))
        #expect(text.contains("Cooperlake"))
        // Sapphire Rapids, where OpenBLAS 0.3.21 falls back to Prescott.
        #expect(try decide(.sapphireRapids, running: "Prescott", request: .user("SapphireRapids")) == .restart(withCore: "Cooperlake"))
    }

    @Test func hostileValuesGiveOneShortLine() throws {
        for value in ["Sky\nlakeX", String(repeating: "x", count: 100_000), "\u{1B}[2J"] {
            let decision = try decide(.zen4, running: "Cooperlake", request: .user(value))
            guard case .warn(let text) = decision else { Issue.record("\(decision)"); continue }
            #expect(!text.contains("\n") && !text.contains("\u{1B}"))
            #expect(text.count < 400)
        }
    }

    @Test func userCoreOnASingleCoreBuildOnlyWarns() throws {
        let decision = try decide(.zen4, running: "Haswell", request: .user("SkylakeX"), dynamicArch: false)
        guard case .warn(let text) = decision else { Issue.record("\(decision)"); return }
        #expect(text.contains("no effect"))
    }

    @Test func userCoreNewerThanTheTableCannotBeChecked() throws {
        let decision = try decide(.sapphireRapids, running: "SapphireRapids", request: .user("SapphireRapids"))
        guard case .warn(let text) = decision else { Issue.record("\(decision)"); return }
        #expect(text.contains("cannot check"))
    }

    // MARK: The restarted process

    @Test func restartedProcessNeverRestartsAgain() throws {
        #expect(try decide(.sapphireRapids, running: "Cooperlake", request: .restart("Cooperlake")) == .keep)
        let decision = try decide(.sapphireRapids, running: "Prescott", request: .restart("Cooperlake"))
        guard case .warn(let text) = decision else { Issue.record("\(decision)"); return }
        #expect(text.contains("did not switch"))
    }

    /// Over every fixture and every core OpenBLAS could have loaded: a restart only ever
    /// names a core the CPU runs and that is at least as wide as the one running.
    @Test(arguments: CPUIDFixture.allCases)
    func restartsOnlyUpwardsToRunnableCores(_ fixture: CPUIDFixture) throws {
        let cpu = try fixture.features()
        for running in OpenBLASCore.all {
            let decision = try decide(fixture, running: running.name)
            guard case .restart(let name) = decision else { continue }
            let target = try #require(OpenBLASCore.named(name))
            #expect(cpu.flags.isSuperset(of: target.requires), "\(fixture): \(running.name) -> \(name)")
            let runnable = cpu.flags.isSuperset(of: running.requires)
            #expect(!runnable || target.tier > running.tier, "\(fixture): \(running.name) -> \(name)")
        }
    }

    @Test func coreNamesResolveLikeOpenBLAS() {
        #expect(OpenBLASCore.named("skylakex")?.name == "SkylakeX")
        #expect(OpenBLASCore.named("COOPERLAKE")?.name == "Cooperlake")
        #expect(OpenBLASCore.named("Athlon")?.name == "Prescott")
        #expect(OpenBLASCore.named("SapphireRapids") == nil)
        #expect(OpenBLASCore.named("") == nil)
        #expect(Set(OpenBLASCore.all.map { $0.name.lowercased() }).count == OpenBLASCore.all.count)
    }
}
