import Foundation
import TestSupport
import Testing

// OpenBLAS itself may print to stderr on some machines (e.g. an L2 cache size it cannot
// read, unless OPENBLAS_L2_SIZE is set), so these tests look only at sightline's own lines.

/// This CPU as the Linux kernel describes it (/proc/cpuinfo): independent of Sightline's own probe.
enum HostCPU {
    static let cpuinfo: [String: String] = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [:] }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }()

    static let flags = Set((cpuinfo["flags"] ?? "").split(separator: " ").map(String.init))
    static let vendor = cpuinfo["vendor_id"] ?? ""
    static var isIntelOrAMD: Bool { ["GenuineIntel", "AuthenticAMD", "HygonGenuine"].contains(vendor) }

    /// OpenBLAS 0.3.21 cores by vector width: 1 SSE, 2 AVX, 3 AVX2, 4 AVX-512, 5 AVX-512 + BF16.
    static let coreRank: [String: Int] = [
        "Prescott": 1, "Atom": 1, "Core2": 1, "Penryn": 1, "Dunnington": 1, "Nehalem": 1, "Opteron": 1,
        "Opteron_SSE3": 1, "Barcelona": 1, "Nano": 1, "Bobcat": 1,
        "Sandybridge": 2, "Bulldozer": 2, "Piledriver": 2, "Steamroller": 2,
        "Haswell": 3, "Zen": 3, "Excavator": 3, "SkylakeX": 4, "Cooperlake": 5,
    ]

    /// The widest class of kernels this CPU runs, by the same scale.
    static var supportedRank: Int {
        let avx512 = flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
        if avx512 && flags.contains("avx512_bf16") { return 5 }
        if avx512 { return 4 }
        if flags.isSuperset(of: ["avx2", "fma"]) { return 3 }
        if flags.contains("avx") { return 2 }
        return 1
    }
}

@Suite("sightline picks an OpenBLAS core that fits the CPU")
struct BLASCoreCLITests {
    /// The test's environment without OPENBLAS_CORETYPE (a user's or this machine's) unless given.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["SIGHTLINE_BLAS_RESTART"] = nil
        environment["LD_PRELOAD"] = nil
        environment.merge(extra) { $1 }
        return environment
    }

    static func version(_ extra: [String: String] = [:]) throws -> (ProcessOutput, [String: Any]?) {
        let result = try runToCompletion(CLI.binary, ["version", "--json"], in: CLI.repository, environment: environment(extra))
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
        return (result, json)
    }

    @Test func versionReportsACoreAtLeastAsWideAsTheCPUSupports() throws {
        let (result, json) = try Self.version()
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        let core = try #require(json?["blas_core"] as? String, "\(result.stdout)")
        #expect((json?["cpu_features"] as? [String]) != nil)
        if HostCPU.isIntelOrAMD {
            #expect(!result.stderr.contains("sightline:"), "no warning: \(result.stderr)")
            let rank = try #require(HostCPU.coreRank[core], "a core this test does not know: \(core)")
            #expect(rank >= HostCPU.supportedRank, "\(core) on a CPU with \(HostCPU.flags.sorted())")
        }
    }

    @Test(.enabled(if: !HostCPU.flags.contains("fma4"), "this CPU has FMA4, so it runs the Bulldozer kernels"))
    func userCoreNeedingInstructionsTheCPULacksIsAClearError() throws {
        // OpenBLAS's Bulldozer kernels use FMA4 and XOP, which only AMD CPUs of 2011-2015 have:
        // on Zen or any Intel CPU its first sgemm dies of SIGILL.
        let (result, _) = try Self.version(["OPENBLAS_CORETYPE": "Bulldozer"])
        result.expectOneClearErrorLine(mentioning: "OPENBLAS_CORETYPE=Bulldozer needs fma4")
        #expect(result.status == 78)
        #expect(result.stdout.isEmpty)
    }

    /// OpenBLAS ignores a name it does not have; so does sightline, with a warning.
    @Test func userCoreOpenBLASDoesNotHaveIsIgnoredWithAWarning() throws {
        let (result, json) = try Self.version(["OPENBLAS_CORETYPE": "NoSuchCore"])
        #expect(result.status == 0, "\(result.stderr)")
        let ours = result.stderr.split(separator: "\n").filter { $0.hasPrefix("sightline:") }
        #expect(ours.count == 1 && ours[0].contains("OPENBLAS_CORETYPE=NoSuchCore is not a core this OpenBLAS has"), "\(result.stderr)")
        let core = try #require(json?["blas_core"] as? String)
        #expect((HostCPU.coreRank[core] ?? 0) >= HostCPU.supportedRank || !HostCPU.isIntelOrAMD, "\(core)")
    }

    @Test func userCoreTheCPURunsIsUsedAsItIs() throws {
        // Every x86-64 CPU since 2004 runs the SSE3 kernels; the user's choice wins over ours.
        let (result, json) = try Self.version(["OPENBLAS_CORETYPE": "prescott"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("sightline:"), "no warning: \(result.stderr)")
        #expect(json?["blas_core"] as? String == "Prescott")
    }

    /// Builds the LD_PRELOAD shim that makes OpenBLAS report Prescott (Tests/Fixtures/blas).
    static func shim() throws -> URL? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-blas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let library = directory.appendingPathComponent("corename_shim.so")
        let source = RepositoryPaths.fixtures.appendingPathComponent("blas/corename_shim.c")
        let compiled = try runToCompletion(URL(fileURLWithPath: "/usr/bin/env"),
                                           ["cc", "-shared", "-fPIC", "-O1", "-o", library.path, source.path, "-ldl"])
        return compiled.status == 0 ? library : nil
    }

    static let hasCompiler = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc")

    @Test(.enabled(if: hasCompiler && HostCPU.isIntelOrAMD && HostCPU.supportedRank >= 2, "needs cc and an AVX CPU"))
    func aCoreBelowTheCPUsRestartsOnceWithTheBestOne() throws {
        let library = try #require(try Self.shim(), "compiling the shim")
        defer { try? FileManager.default.removeItem(at: library.deletingLastPathComponent()) }
        let log = library.deletingLastPathComponent().appendingPathComponent("processes.log")
        let (result, json) = try Self.version(["LD_PRELOAD": library.path, "SHIM_LOG": log.path])
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        #expect(!result.stderr.contains("sightline:"), "no warning: \(result.stderr)")
        let core = try #require(json?["blas_core"] as? String, "the restarted process kept the arguments: \(result.stdout)")
        #expect((HostCPU.coreRank[core] ?? 0) >= HostCPU.supportedRank, "\(core)")
        // Two processes: the first saw no OPENBLAS_CORETYPE, the second ran with the chosen core.
        let processes = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(processes == ["-", core])
    }

    @Test(.enabled(if: hasCompiler && HostCPU.isIntelOrAMD && HostCPU.supportedRank >= 2, "needs cc and an AVX CPU"))
    func anOpenBLASThatIgnoresTheCoreIsRestartedOnlyOnce() throws {
        let library = try #require(try Self.shim(), "compiling the shim")
        defer { try? FileManager.default.removeItem(at: library.deletingLastPathComponent()) }
        let log = library.deletingLastPathComponent().appendingPathComponent("processes.log")
        let (result, json) = try Self.version(["LD_PRELOAD": library.path, "SHIM_LOG": log.path, "SHIM_IGNORE_CORETYPE": "1"])
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        let ours = result.stderr.split(separator: "\n").filter { $0.hasPrefix("sightline:") }
        #expect(ours.count == 1 && ours.first?.hasPrefix("sightline: warning: OpenBLAS did not switch") == true, "\(result.stderr)")
        #expect(json?["blas_core"] as? String == "Prescott")
        let processes = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(processes.count == 2, "\(processes)")
    }
}
