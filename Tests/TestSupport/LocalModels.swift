import Foundation

/// Real models too large to commit: `make models` fetches them into ~/.cache/sightline/models.
/// Tests that need one are skipped (with a reason) when it is absent.
public enum LocalModels {
    /// Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF.
    public static let qwenCoderPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path

    /// Whether the Qwen2.5-Coder GGUF is on this machine.
    public static var hasQwenCoder: Bool { FileManager.default.fileExists(atPath: qwenCoderPath) }
}
