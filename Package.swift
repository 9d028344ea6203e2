// swift-tools-version: 6.1
import PackageDescription

/// Upcoming-feature flags are set once here and applied to every Swift target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Sightline",
    products: [
        .executable(name: "sightline", targets: ["SightlineCLI"]),
        .executable(name: "gguf-bench", targets: ["GGUFBench"]),
        .executable(name: "lm-tokenizer-bench", targets: ["LMTokenizerBench"]),
        .executable(name: "decoder-bench", targets: ["DecoderBench"]),
        .executable(name: "schema-mask-bench", targets: ["SchemaMaskBench"]),
        .executable(name: "messaging-bench", targets: ["MessagingBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: System libraries (Debian -dev packages; `make deps` installs them)
        // libzmq.pc adds -isystem flags SwiftPM refuses; the headers are in /usr/include anyway.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: C shim for what Swift cannot import from the V4L2 headers
        .target(name: "CV4L2Shim", dependencies: ["CLibV4L2"]),

        // MARK: C kernels (experimental AVX512_BF16 GEMM; AVX-512 only via per-function target attributes)
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("pthread")]),

        // MARK: Swift libraries, one concern each
        .target(
            name: "Imaging",
            dependencies: ["CTurboJPEG", "CPNG"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Kernels",
            dependencies: ["COpenBLAS", "CKernels", "ModelFiles"],
            swiftSettings: swiftSettings
        ),
        .target(name: "ModelFiles", swiftSettings: swiftSettings),
        // What this CPU runs (the C kernels' cpuid probe) and the OpenBLAS core that fits it.
        .target(name: "CPUSupport", dependencies: ["CKernels", "COpenBLAS"], swiftSettings: swiftSettings),
        .target(
            name: "CLIP",
            dependencies: ["Kernels", "ModelFiles", "Imaging", "Tokenizers", "Capture"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Grounding",
            dependencies: ["CLIP", "Imaging", "Tokenizers"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LanguageModel",
            dependencies: ["Kernels", "ModelFiles"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Generation",
            dependencies: ["LanguageModel", "Tokenizers", "ModelFiles"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StructuredOutput",
            dependencies: ["Generation", "LanguageModel", "Tokenizers"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LLaVA",
            dependencies: ["CLIP", "LanguageModel", "Kernels", "ModelFiles", "Imaging", "Tokenizers"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Capture",
            dependencies: [
                "Imaging", "CV4L2Shim",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "ThreadSupport", swiftSettings: swiftSettings),
        .target(name: "SightlineProtocol", swiftSettings: swiftSettings),
        .target(
            name: "Messaging",
            dependencies: ["CZeroMQ", "SightlineProtocol"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Scheduling",
            dependencies: [
                "Capture",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Interpreter",
            dependencies: ["Generation", "LanguageModel", "StructuredOutput", "Tokenizers", "ConfigYAML", "LLaVA", "Imaging"],
            swiftSettings: swiftSettings
        ),
        // Opening a language model (GGUF or Hugging Face folder) and its LLaVA image encoder, for the CLI and the node.
        .target(
            name: "ModelLoading",
            dependencies: ["LanguageModel", "LLaVA", "Kernels", "ModelFiles", "Imaging", "Tokenizers"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Node",
            dependencies: [
                "Capture", "CLIP", "Imaging", "Scheduling", "Interpreter", "Grounding", "Calibration", "LLaVA",
                "Messaging", "SightlineProtocol", "CPUSupport", "LaunchConfig", "ModelLoading", "Kernels", "Tokenizers", "Generation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tokenizers",
            dependencies: ["CZlib", "ModelFiles"],
            swiftSettings: swiftSettings
        ),
        .target(name: "ConfigYAML", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: swiftSettings),
        .target(
            name: "Calibration",
            dependencies: ["ConfigYAML", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LaunchConfig",
            dependencies: [
                "ConfigYAML", "Capture", "Kernels",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: The `sightline` command
        .executableTarget(
            name: "SightlineCLI",
            dependencies: [
                "Capture", "Imaging", "CLIP", "Grounding", "Kernels", "Tokenizers", "LanguageModel", "Generation", "StructuredOutput", "ModelFiles", "LLaVA",
                "Calibration", "LaunchConfig", "Messaging", "SightlineProtocol", "ThreadSupport", "CZeroMQ", "COpenBLAS",
                "Interpreter", "Node", "Scheduling", "CPUSupport", "ModelLoading",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Development benchmarks (`swift run -c release bf16-bench | gguf-bench | lm-tokenizer-bench | decoder-bench | schema-mask-bench`)
        .executableTarget(
            name: "bf16-bench",
            dependencies: ["COpenBLAS", "CKernels", "Imaging"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "GGUFBench", dependencies: ["Kernels", "ModelFiles"], swiftSettings: swiftSettings),
        .executableTarget(name: "LMTokenizerBench", dependencies: ["Tokenizers"], swiftSettings: swiftSettings),
        .executableTarget(name: "DecoderBench", dependencies: ["LanguageModel", "Kernels"], swiftSettings: swiftSettings),
        .executableTarget(name: "SchemaMaskBench", dependencies: ["StructuredOutput", "Tokenizers"], swiftSettings: swiftSettings),
        .executableTarget(name: "MessagingBench", dependencies: ["Messaging", "SightlineProtocol"], swiftSettings: swiftSettings),

        // MARK: Tests
        // Helpers several test targets share (paths, local models, child processes, fuzz edits); only test targets depend on it.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "KernelTests", dependencies: ["Kernels", "CKernels", "ModelFiles"], swiftSettings: swiftSettings),
        .testTarget(name: "CPUSupportTests", dependencies: ["CPUSupport", "CKernels", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CLIPTests", dependencies: ["CLIP", "Kernels", "ModelFiles", "Imaging", "Tokenizers", "Capture", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "GroundingTests", dependencies: ["Grounding", "CLIP", "Imaging", "Tokenizers"], swiftSettings: swiftSettings),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture", "Imaging", "CV4L2Shim", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CLITests", dependencies: ["Capture", "Imaging", "Messaging", "SightlineProtocol", "ThreadSupport", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizers", "ModelFiles", "Imaging"], swiftSettings: swiftSettings),
        .testTarget(name: "LanguageModelTests", dependencies: ["LanguageModel", "Kernels", "ModelFiles", "TestSupport", "ThreadSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "GenerationTests", dependencies: ["Generation", "LanguageModel", "Tokenizers", "ModelFiles"], swiftSettings: swiftSettings),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Capture", "Imaging"], swiftSettings: swiftSettings),
        .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "ConfigYAML", "Imaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LaunchConfigTests",
            dependencies: ["LaunchConfig", "ConfigYAML", "Capture", "Kernels", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StructuredOutputTests",
            dependencies: ["StructuredOutput", "Generation", "LanguageModel", "Tokenizers", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InterpreterTests",
            dependencies: ["Interpreter", "Generation", "LanguageModel", "StructuredOutput", "Tokenizers", "ConfigYAML", "LLaVA", "Imaging", "ThreadSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LLaVATests",
            dependencies: ["LLaVA", "CLIP", "LanguageModel", "Generation", "Kernels", "ModelFiles", "Imaging", "Tokenizers", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MessagingTests",
            dependencies: ["Messaging", "SightlineProtocol", "ThreadSupport", "CZeroMQ", "Imaging", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NodeEngineTests",
            dependencies: [
                "Node", "Messaging", "SightlineProtocol", "Scheduling", "Capture", "Interpreter", "Grounding", "Imaging", "LaunchConfig", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: ["Messaging", "SightlineProtocol", "ThreadSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "GGUFTests", dependencies: ["ModelFiles", "Kernels", "Imaging", "TestSupport"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
