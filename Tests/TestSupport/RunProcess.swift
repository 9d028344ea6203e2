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

/// How a child process run under a time limit ended.
public struct BoundedRun: Sendable {
    /// nil when it was killed for running past the limit (a hang).
    public var output: ProcessOutput?
    public var hung: Bool { output == nil }
    /// Ended by a signal it did not ask for (a crash or a trap), not by the time limit.
    public var crashed: Bool { output?.crashed == true }
}

/// Runs `executable` like `runToCompletion`, but kills it (SIGKILL) once `seconds` have passed.
/// Output goes to files rather than pipes, so a child that prints a lot cannot block on a full pipe
/// while this waits. Blocks the calling thread.
public func runBounded(
    _ executable: URL, _ arguments: [String], in directory: URL? = nil, seconds: Double
) throws -> BoundedRun {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
    guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
          FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown)
    }
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    defer { try? out.close(); try? err.close() }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    try process.run()
    if finished.wait(timeout: .now() + seconds) == .timedOut {
        kill(process.processIdentifier, SIGKILL)
        finished.wait()
        return BoundedRun(output: nil)
    }
    let stdout = (try? Data(contentsOf: outURL)) ?? Data(), stderr = (try? Data(contentsOf: errURL)) ?? Data()
    return BoundedRun(output: ProcessOutput(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self), crashed: process.terminationReason == .uncaughtSignal))
}
