public import Foundation

/// What a finished child process left: its exit status and everything it printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Killed by a signal (a crash or a trap) rather than exiting.
    public var crashed: Bool
}

/// Runs `executable` to completion and collects its output. It blocks the calling thread:
/// from async code, call it off the cooperative pool. `environment` replaces the inherited one.
public func runToCompletion(
    _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil
) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self), crashed: process.terminationReason == .uncaughtSignal)
}
