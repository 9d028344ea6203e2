import CKernels

/// What this CPU and its OS can run, decoded by the binary's one CPU-feature probe
/// (CKernels' CPUFeatures.h), the same one the C kernels dispatch on.
public struct CPUFeatures: Sendable, Equatable, CustomStringConvertible {
    /// Instruction-set extensions, each present only when the CPU has it and the OS
    /// saves the registers it uses (XCR0), so present means safe to execute.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let sse3 = Flags(rawValue: UInt32(SL_CPU_SSE3))
        public static let ssse3 = Flags(rawValue: UInt32(SL_CPU_SSSE3))
        public static let sse4_1 = Flags(rawValue: UInt32(SL_CPU_SSE4_1))
        public static let sse4_2 = Flags(rawValue: UInt32(SL_CPU_SSE4_2))
        public static let sse4a = Flags(rawValue: UInt32(SL_CPU_SSE4A))
        public static let amd3DNow = Flags(rawValue: UInt32(SL_CPU_3DNOW))
        public static let avx = Flags(rawValue: UInt32(SL_CPU_AVX))
        public static let f16c = Flags(rawValue: UInt32(SL_CPU_F16C))
        public static let fma = Flags(rawValue: UInt32(SL_CPU_FMA))
        public static let fma4 = Flags(rawValue: UInt32(SL_CPU_FMA4))
        public static let xop = Flags(rawValue: UInt32(SL_CPU_XOP))
        public static let avx2 = Flags(rawValue: UInt32(SL_CPU_AVX2))
        public static let avxVNNI = Flags(rawValue: UInt32(SL_CPU_AVX_VNNI))
        public static let avx512f = Flags(rawValue: UInt32(SL_CPU_AVX512F))
        public static let avx512cd = Flags(rawValue: UInt32(SL_CPU_AVX512CD))
        public static let avx512bw = Flags(rawValue: UInt32(SL_CPU_AVX512BW))
        public static let avx512dq = Flags(rawValue: UInt32(SL_CPU_AVX512DQ))
        public static let avx512vl = Flags(rawValue: UInt32(SL_CPU_AVX512VL))
        public static let avx512VNNI = Flags(rawValue: UInt32(SL_CPU_AVX512_VNNI))
        public static let avx512BF16 = Flags(rawValue: UInt32(SL_CPU_AVX512_BF16))
        public static let avx512FP16 = Flags(rawValue: UInt32(SL_CPU_AVX512_FP16))
        public static let amxTile = Flags(rawValue: UInt32(SL_CPU_AMX_TILE))
        public static let amxInt8 = Flags(rawValue: UInt32(SL_CPU_AMX_INT8))
        public static let amxBF16 = Flags(rawValue: UInt32(SL_CPU_AMX_BF16))

        /// Every flag with the name Linux's /proc/cpuinfo gives it, in a fixed order.
        public static let named: [(flag: Flags, name: String)] = [
            (.sse3, "sse3"), (.ssse3, "ssse3"), (.sse4_1, "sse4_1"), (.sse4_2, "sse4_2"), (.sse4a, "sse4a"),
            (.amd3DNow, "3dnow"), (.avx, "avx"), (.f16c, "f16c"), (.fma, "fma"), (.fma4, "fma4"), (.xop, "xop"),
            (.avx2, "avx2"), (.avxVNNI, "avx_vnni"), (.avx512f, "avx512f"), (.avx512cd, "avx512cd"),
            (.avx512bw, "avx512bw"), (.avx512dq, "avx512dq"), (.avx512vl, "avx512vl"),
            (.avx512VNNI, "avx512_vnni"), (.avx512BF16, "avx512_bf16"), (.avx512FP16, "avx512_fp16"),
            (.amxTile, "amx_tile"), (.amxInt8, "amx_int8"), (.amxBF16, "amx_bf16"),
        ]

        /// The flags' names, in `named` order.
        public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }

        /// The AVX-512 subset OpenBLAS's SkylakeX kernels and our AVX-512 kernels assume.
        public static let avx512Core: Flags = [.avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl]
    }

    /// The cpuid vendor string ("GenuineIntel", "AuthenticAMD", ...).
    public var vendor: String
    public var family: Int
    public var model: Int
    public var stepping: Int
    public var flags: Flags

    public init(vendor: String, family: Int, model: Int, stepping: Int, flags: Flags) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.stepping = stepping
        self.flags = flags
    }

    /// Decodes recorded cpuid/xgetbv values with the same parser the kernels use.
    public init(leaves: CPUIDLeaves) {
        var raw = leaves.cValue
        var parsed = sl_cpu_features()
        sl_cpu_features_parse(&raw, &parsed)
        self.init(parsed)
    }

    init(_ parsed: sl_cpu_features) {
        let vendor = withUnsafeBytes(of: parsed.vendor) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(vendor: vendor, family: Int(parsed.family), model: Int(parsed.model),
                  stepping: Int(parsed.stepping), flags: Flags(rawValue: parsed.flags))
    }

    /// This machine's CPU, probed once per process.
    public static let current = CPUFeatures(sl_cpu_features_current().pointee)

    public enum Vendor: Sendable, Equatable {
        case intel, amd, hygon, other
    }

    public var knownVendor: Vendor {
        switch vendor {
        case "GenuineIntel": .intel
        case "AuthenticAMD": .amd
        case "HygonGenuine": .hygon
        default: .other
        }
    }

    /// "AMD family 0x19 model 0x11" style, for messages.
    public var identity: String {
        let name = switch knownVendor {
        case .intel: "Intel"
        case .amd: "AMD"
        case .hygon: "Hygon"
        case .other: vendor.isEmpty ? "unidentified vendor" : "vendor \"\(vendor)\""
        }
        return "\(name) family 0x\(String(family, radix: 16)) model 0x\(String(model, radix: 16))"
    }

    public var description: String { "\(identity): \(flags.names.joined(separator: " "))" }

    /// The features Sightline's own kernels dispatch on (bf16 GEMM, quantized dot
    /// products), for `sightline version`, status and metrics.
    public var kernelFeatures: [String] {
        flags.intersection([.avx2, .fma, .f16c, .avx512f, .avx512bw, .avx512vl, .avx512VNNI, .avx512BF16,
                            .avxVNNI, .avx512FP16, .amxTile, .amxInt8, .amxBF16]).names
    }
}

/// Raw cpuid register values, each leaf as [EAX, EBX, ECX, EDX], and XCR0: the probe's
/// input, recorded for other CPUs as test fixtures.
public struct CPUIDLeaves: Sendable, Equatable {
    public var leaf0: [UInt32]
    public var leaf1: [UInt32]
    public var leaf7Subleaf0: [UInt32]
    public var leaf7Subleaf1: [UInt32]
    public var extended0: [UInt32]
    public var extended1: [UInt32]
    public var xcr0: UInt64

    /// Leaves shorter than four registers are padded with zeros; extra values are ignored.
    public init(leaf0: [UInt32], leaf1: [UInt32], leaf7Subleaf0: [UInt32], leaf7Subleaf1: [UInt32],
                extended0: [UInt32], extended1: [UInt32], xcr0: UInt64) {
        self.leaf0 = leaf0
        self.leaf1 = leaf1
        self.leaf7Subleaf0 = leaf7Subleaf0
        self.leaf7Subleaf1 = leaf7Subleaf1
        self.extended0 = extended0
        self.extended1 = extended1
        self.xcr0 = xcr0
    }

    /// This machine's registers.
    public static func read() -> CPUIDLeaves {
        var raw = sl_cpuid_leaves()
        sl_cpu_read_leaves(&raw)
        func regs<T>(_ tuple: T) -> [UInt32] { withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: UInt32.self)) } }
        return CPUIDLeaves(leaf0: regs(raw.leaf0), leaf1: regs(raw.leaf1), leaf7Subleaf0: regs(raw.leaf7_0),
                           leaf7Subleaf1: regs(raw.leaf7_1), extended0: regs(raw.ext0), extended1: regs(raw.ext1),
                           xcr0: raw.xcr0)
    }

    var cValue: sl_cpuid_leaves {
        func tuple(_ values: [UInt32]) -> (UInt32, UInt32, UInt32, UInt32) {
            func at(_ i: Int) -> UInt32 { i < values.count ? values[i] : 0 }
            return (at(0), at(1), at(2), at(3))
        }
        return sl_cpuid_leaves(leaf0: tuple(leaf0), leaf1: tuple(leaf1), leaf7_0: tuple(leaf7Subleaf0),
                               leaf7_1: tuple(leaf7Subleaf1), ext0: tuple(extended0), ext1: tuple(extended1), xcr0: xcr0)
    }
}
