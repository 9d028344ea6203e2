import Foundation
import Messaging
import SightlineProtocol
import TestSupport
import Testing

/// The interpreter that has pyzmq: the venv `make pyclient` builds, else python3.
let pythonWithZMQ: String? = {
    let candidates = [RepositoryPaths.root.appendingPathComponent(".cache/pyclient/bin/python").path, "/usr/bin/python3"]
    return candidates.first { path in
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-c", "import zmq"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}()

/// Runs examples/client.py to completion: (exit status, stdout lines, stderr).
func runPythonClient(_ arguments: [String]) async throws -> (Int32, [String], String) {
    let python = try #require(pythonWithZMQ)
    let client = RepositoryPaths.root.appendingPathComponent("examples/client.py").path
    let output = try await blocking { try runToCompletion(URL(fileURLWithPath: python), [client] + arguments) }
    return (output.status, output.stdout.split(separator: "\n").map(String.init), output.stderr)
}

@Suite("examples/client.py against the real server and publisher", .enabled(if: pythonWithZMQ != nil, "pyzmq not installed (make pyclient)"))
struct PythonClientTests {
    @Test("It prints the reply, then the intent for its own command only", .timeLimit(.minutes(1)))
    func commandAndIntent() async throws {
        let context = try ZMQContext()
        let running = try RunningServer(context)
        var configuration = PublisherConfiguration()
        configuration.endpoint = "tcp://127.0.0.1:*"
        let publisher = try Publisher(context: context, configuration: configuration)
        defer { publisher.close() }

        async let client = runPythonClient([
            "--endpoint", running.endpoint, "--sub-endpoint", publisher.endpoint, "--id", "py-1", "--deadline-ms", "900",
            "--timeout", "20", "pick", "up", "the", "cup",
        ])
        let command = try #require(await next(running.server.commands, within: 20))
        #expect(command.id == "py-1")
        #expect(command.text == "pick up the cup")
        #expect(command.deadlineMs == 900)
        // The client subscribed before it sent, so its subscription is here or on its way.
        for _ in 0..<200 where publisher.statistics().subscriptions < 1 { try await Task.sleep(for: .milliseconds(10)) }
        var someoneElses = SampleMessages.intents[1]
        someoneElses.commandID = "other"
        try publisher.publish(.intent, someoneElses)
        var ours = SampleMessages.intents[0]
        ours.commandID = "py-1"
        ours.text = command.text
        try publisher.publish(.intent, ours)

        let (status, lines, stderr) = try await client
        #expect(status == 0, "\(stderr)")
        try #require(lines.count == 2, "\(lines) \(stderr)")
        #expect(try ProtocolJSON.decode(CommandReply.self, from: Array(lines[0].utf8)) == .accepted("py-1"))
        #expect(try ProtocolJSON.decode(IntentMessage.self, from: Array(lines[1].utf8)) == ours)

        let (againStatus, againLines, _) = try await runPythonClient([
            "--endpoint", running.endpoint, "--sub-endpoint", publisher.endpoint, "--id", "py-1", "--timeout", "20", "again",
        ])
        #expect(againStatus == 1)
        #expect(try ProtocolJSON.decode(CommandReply.self, from: Array((againLines.first ?? "").utf8)).reason == .duplicateID)
        try await running.stop()
    }

    @Test("Over CURVE: an allowed key file is accepted; an unknown one is refused", .enabled(if: ZMQContext.hasCurve), .timeLimit(.minutes(1)))
    func curve() async throws {
        let context = try ZMQContext()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-pyclient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let node = try CurveKeyPair.generate(), allowed = try CurveKeyPair.generate(), unknown = try CurveKeyPair.generate()
        for (name, keys) in [("node", node), ("allowed", allowed), ("unknown", unknown)] {
            try CurveKeyFile.text(keys, includeSecret: true).write(to: directory.appendingPathComponent("\(name).key_secret"), atomically: true, encoding: .utf8)
            try CurveKeyFile.text(keys, includeSecret: false).write(to: directory.appendingPathComponent("\(name).key"), atomically: true, encoding: .utf8)
        }
        let authenticator = try ZAPAuthenticator(context: context, allowedKeys: [allowed.publicKey])
        defer { authenticator.stop() }
        let running = try RunningServer(context, curve: CurveServerOptions(keys: node, authenticator: authenticator))
        func run(_ name: String) async throws -> (Int32, [String], String) {
            try await runPythonClient([
                "--endpoint", running.endpoint, "--no-wait", "--timeout", "5",
                "--keys", directory.appendingPathComponent("\(name).key_secret").path,
                "--server-key", directory.appendingPathComponent("node.key").path, "wave",
            ])
        }
        let (allowedStatus, allowedLines, allowedErrors) = try await run("allowed")
        #expect(allowedStatus == 0, "\(allowedErrors)")
        #expect(try ProtocolJSON.decode(CommandReply.self, from: Array((allowedLines.first ?? "").utf8)).status == .accepted)
        let (unknownStatus, unknownLines, unknownErrors) = try await run("unknown")
        #expect(unknownStatus == 2)
        #expect(unknownLines.isEmpty)
        #expect(unknownErrors.contains("refused"), "\(unknownErrors)")
        try await running.stop()
    }
}
