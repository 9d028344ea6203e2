import ArgumentParser
import CPUSupport
import Foundation
import Logging

/// Entry point. Parse errors and runtime errors are printed as one line,
/// "sightline: error: ...", with a non-zero exit; help goes to stdout.
@main
enum SightlineMain {
    static func main() async {
        // Before anything else: OpenBLAS may have loaded kernels below what this CPU runs
        // (then this restarts the process once) or the user's OPENBLAS_CORETYPE may name
        // kernels this CPU cannot execute (then stop here rather than die of SIGILL later).
        switch BLASCoreStartup.apply() {
        case .proceed(let warning):
            if let warning { FileHandle.standardError.write(Data("sightline: warning: \(warning)\n".utf8)) }
        case .refuse(let message):
            FileHandle.standardError.write(Data("sightline: error: \(message)\n".utf8))
            exit(BLASCoreStartup.refusedExitCode)
        }
        // Logs go to stderr so that stdout stays clean for --json output.
        let level = ProcessInfo.processInfo.environment["SIGHTLINE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try Sightline.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Sightline.exitCode(for: error)
            if code == .success || error is CleanExit {
                Sightline.exit(withError: error)
            }
            let message = Sightline.message(for: error)
                .split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("sightline: error: \(message)\n".utf8))
            exit(code.rawValue)
        }
    }
}

struct Sightline: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sightline",
        abstract: "A robotics perception node: camera capture, CLIP object scoring and grounded task intents.",
        version: version,
        subcommands: [
            DevicesCommand.self,
            RecordCommand.self,
            ReplayCommand.self,
            ClipCommand.self,
            GroundCommand.self,
            TokenizeCommand.self,
            GenerateCommand.self,
            BenchCommand.self,
            RunCommand.self,
            LaunchCheckCommand.self,
            SendCommand.self,
            ListenCommand.self,
            KeygenCommand.self,
            VersionCommand.self,
        ]
    )
}
