import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (median of repeated runs; run them on an otherwise idle machine).",
        subcommands: [CaptureBench.self, CLIPBench.self, CLIPPrecisionBench.self, LLaVABench.self, GroundingBench.self])
}
