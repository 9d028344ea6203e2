public import ArgumentParser
public import Kernels

extension MatmulPrecision: ExpressibleByArgument {}

/// `--precision` and `--bf16-threads`, shared by the commands that run CLIP.
struct PrecisionOptions: ParsableArguments {
    @Option(help: """
        Matrix arithmetic of the Linear layers: fp32 (default; matches transformers to float tolerance) \
        or bf16 (AVX512_BF16 CPUs, about twice as fast; embeddings move by about 1e-3).
        """)
    var precision: MatmulPrecision = .fp32

    @Option(help: "Threads of the bf16 kernel (default: the same as --threads).")
    var bf16Threads: Int?

    func validate() throws {
        if let bf16Threads, !(1...64).contains(bf16Threads) { throw ValidationError("--bf16-threads must be 1...64") }
    }

    /// Sets the bf16 kernel's threads (`threads`, the command's own count, unless
    /// --bf16-threads says otherwise) and returns the precision the CPU can run,
    /// saying so when bf16 is unavailable.
    func apply(threads: Int) -> MatmulPrecision {
        Parallel.threads = bf16Threads ?? threads
        if precision == .bf16, precision.effective != .bf16 {
            printError("sightline: warning: this CPU has no AVX512_BF16; using fp32")
        }
        return precision.effective
    }
}
