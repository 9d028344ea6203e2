/// The x86-64 kernel sets ("cores") a DYNAMIC_ARCH OpenBLAS carries, as named by
/// `openblas_get_corename()` and accepted (case-insensitively) in `OPENBLAS_CORETYPE`.
///
/// The table is Debian 12's OpenBLAS 0.3.21, checked by setting each name and reading
/// the core back. What each core needs was checked the same way on an AMD Zen 4: the
/// Opteron cores use 3DNow! and the Bulldozer family FMA4/XOP, which Zen and every Intel
/// CPU lack, and die there with SIGILL on the first sgemm.
public struct OpenBLASCore: Sendable, Equatable {
    /// The name `openblas_get_corename()` reports.
    public var name: String
    /// What the core's kernels execute.
    public var requires: CPUFeatures.Flags
    /// Vector width class, for "is the running core below what this CPU supports":
    /// 1 SSE, 2 AVX, 3 AVX2, 4 AVX-512, 5 AVX-512 with BF16.
    public var tier: Int

    public init(name: String, requires: CPUFeatures.Flags, tier: Int) {
        self.name = name
        self.requires = requires
        self.tier = tier
    }

    public static let prescott = OpenBLASCore(name: "Prescott", requires: [.sse3], tier: 1)
    public static let sandybridge = OpenBLASCore(name: "Sandybridge", requires: [.avx], tier: 2)
    public static let haswell = OpenBLASCore(name: "Haswell", requires: [.avx2, .fma], tier: 3)
    public static let zen = OpenBLASCore(name: "Zen", requires: [.avx2, .fma], tier: 3)
    public static let skylakeX = OpenBLASCore(name: "SkylakeX", requires: CPUFeatures.Flags.avx512Core.union([.avx2, .fma]), tier: 4)
    public static let cooperlake = OpenBLASCore(name: "Cooperlake", requires: skylakeX.requires.union(.avx512BF16), tier: 5)

    /// Every core of the 0.3.21 x86-64 build, best first.
    public static let all: [OpenBLASCore] = [
        cooperlake, skylakeX, zen, haswell,
        OpenBLASCore(name: "Excavator", requires: [.avx2, .fma, .fma4, .xop], tier: 3),
        OpenBLASCore(name: "Steamroller", requires: [.avx, .fma, .fma4, .xop], tier: 2),
        OpenBLASCore(name: "Piledriver", requires: [.avx, .fma, .fma4, .xop], tier: 2),
        OpenBLASCore(name: "Bulldozer", requires: [.avx, .fma4, .xop], tier: 2),
        sandybridge,
        OpenBLASCore(name: "Nehalem", requires: [.sse3, .ssse3, .sse4_1, .sse4_2], tier: 1),
        OpenBLASCore(name: "Dunnington", requires: [.sse3, .ssse3, .sse4_1], tier: 1),
        OpenBLASCore(name: "Penryn", requires: [.sse3, .ssse3, .sse4_1], tier: 1),
        OpenBLASCore(name: "Core2", requires: [.sse3, .ssse3], tier: 1),
        OpenBLASCore(name: "Atom", requires: [.sse3, .ssse3], tier: 1),
        OpenBLASCore(name: "Nano", requires: [.sse3, .ssse3], tier: 1),
        OpenBLASCore(name: "Bobcat", requires: [.sse3, .ssse3, .sse4a], tier: 1),
        OpenBLASCore(name: "Barcelona", requires: [.sse3, .sse4a], tier: 1),
        OpenBLASCore(name: "Opteron_SSE3", requires: [.sse3, .amd3DNow], tier: 1),
        OpenBLASCore(name: "Opteron", requires: [.amd3DNow], tier: 1),
        prescott,
    ]

    /// 32-bit-era names OpenBLAS accepts but runs as Prescott on x86-64.
    static let prescottAliases: Set<String> = ["katmai", "coppermine", "northwood", "banias", "athlon"]

    /// The table's entry for a name, any case; nil for a name the table does not know
    /// (a made-up one, or a core of a newer OpenBLAS).
    public static func named(_ name: String) -> OpenBLASCore? {
        let key = name.lowercased()
        if prescottAliases.contains(key) { return prescott }
        return all.first { $0.name.lowercased() == key }
    }

    /// The best core this CPU can run: AVX-512 with BF16 -> Cooperlake, AVX-512 -> SkylakeX,
    /// AVX2 + FMA -> Zen on AMD/Hygon and Haswell elsewhere, AVX -> Sandybridge. Nil below
    /// AVX, where OpenBLAS's own choice among its SSE cores is as good as any.
    public static func best(for cpu: CPUFeatures) -> OpenBLASCore? {
        let candidates: [OpenBLASCore] = switch cpu.knownVendor {
        case .amd, .hygon: [cooperlake, skylakeX, zen, sandybridge]
        case .intel, .other: [cooperlake, skylakeX, haswell, sandybridge]
        }
        return candidates.first { cpu.flags.isSuperset(of: $0.requires) }
    }

    /// The cores worth suggesting to run on this CPU (for error messages): the best one, the
    /// others with AVX or wider, and Prescott, which every x86-64 CPU since 2004 runs.
    public static func suggestions(for cpu: CPUFeatures) -> [OpenBLASCore] {
        let wide = all.filter { $0.tier >= 2 && cpu.flags.isSuperset(of: $0.requires) }
        let first = best(for: cpu).map { [$0] } ?? []
        let fallback = cpu.flags.isSuperset(of: prescott.requires) ? [prescott] : []
        return first + wide.filter { $0 != first.first } + fallback
    }
}
