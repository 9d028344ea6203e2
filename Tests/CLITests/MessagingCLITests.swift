import Foundation
import Messaging
import SightlineProtocol
import TestSupport
import Testing
import ThreadSupport

/// `sightline send`, `listen` and `keygen` against the real command server and
/// publisher, run in this process on ephemeral loopback ports.
@Suite("sightline send, listen and keygen")
struct MessagingCLITests {
    func runInBackground(_ arguments: [String]) -> Task<CLI.Result, any Error> {
        Task { try await onDedicatedThread("cli-test") { try CLI.run(arguments) } }
    }

    func nodeSockets(_ context: ZMQContext) throws -> (CommandServer, Task<Void, any Error>, Publisher) {
        var commandConfiguration = CommandServerConfiguration()
        commandConfiguration.endpoint = "tcp://127.0.0.1:*"
        commandConfiguration.closeLingerMs = 0
        let server = try CommandServer(context: context, configuration: commandConfiguration)
        var publisherConfiguration = PublisherConfiguration()
        publisherConfiguration.endpoint = "tcp://127.0.0.1:*"
        server.start()
        return (server, Task { try await server.run() }, try Publisher(context: context, configuration: publisherConfiguration))
    }

    func waitForSubscriptions(_ publisher: Publisher, _ count: Int) async throws {
        for _ in 0..<1000 where publisher.statistics().subscriptions < count { try await Task.sleep(for: .milliseconds(10)) }
    }

    static let intent = IntentMessage(
        id: "int-9", commandID: "cli-1", revision: 0, text: "pick up the cup", action: "pick",
        target: GroundedPhrase(phrase: "the cup", box: [10, 20, 30, 40], center: [20, 30], score: 0.9), status: .grounded,
        frame: FrameStamp(seq: 7, capturedRealtimeNs: 1, capturedMonotonicNs: 2),
        latencyMs: IntentLatency(interpret: 1, ground: 2, total: 3), validUntilRealtimeNs: 4, models: [:])

    @Test("send prints the reply, then the intent for its command", .timeLimit(.minutes(1)))
    func send() async throws {
        let context = try ZMQContext()
        let (server, serving, publisher) = try nodeSockets(context)
        defer { publisher.close() }
        let sending = runInBackground([
            "send", "--endpoint", server.endpoint, "--sub-endpoint", publisher.endpoint, "--id", "cli-1",
            "--timeout", "20", "pick", "up", "the", "cup",
        ])
        var commands = server.commands.makeAsyncIterator()
        let command = try #require(await commands.next())
        #expect(command.id == "cli-1" && command.text == "pick up the cup")
        try await waitForSubscriptions(publisher, 1)
        var other = Self.intent
        other.commandID = "someone-else"
        try publisher.publish(.intent, other)
        try publisher.publish(.intent, Self.intent)
        let result = try await sending.value
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { Array($0.utf8) }
        try #require(lines.count == 2, "\(result.stdout)")
        #expect(try ProtocolJSON.decode(CommandReply.self, from: lines[0]) == .accepted("cli-1"))
        #expect(try ProtocolJSON.decode(IntentMessage.self, from: lines[1]) == Self.intent)
        server.shutdown()
        try await serving.value
    }

    @Test("A rejected command prints the reply and fails with the reason")
    func sendRejected() async throws {
        let context = try ZMQContext()
        let (server, serving, publisher) = try nodeSockets(context)
        defer { publisher.close() }
        let result = try await runInBackground([
            "send", "--endpoint", server.endpoint, "--no-wait", "--timeout", "20", String(repeating: "x", count: 1001),
        ]).value
        #expect(result.status != 0)
        #expect(try ProtocolJSON.decode(CommandReply.self, from: Array(result.stdout.utf8.dropLast())).reason == .textTooLong)
        #expect(result.stderr.contains("text_too_long"))
        server.shutdown()
        try await serving.value
    }

    @Test("listen prints the messages of its topic as JSON lines", .timeLimit(.minutes(1)))
    func listen() async throws {
        let context = try ZMQContext()
        let (server, serving, publisher) = try nodeSockets(context)
        defer { publisher.close() }
        let listening = runInBackground(["listen", "--endpoint", publisher.endpoint, "--topic", "intent", "--count", "2"])
        try await waitForSubscriptions(publisher, 1)
        let scene = SceneMessage(frame: Self.intent.frame, scores: ["cup": 1], latencyMs: 5)
        try publisher.publish(.scene, scene)
        try publisher.publish(.intent, Self.intent)
        try publisher.publish(.intent, Self.intent)
        let result = try await listening.value
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { Array($0.utf8) }
        #expect(lines.count == 2)
        for line in lines { #expect(try ProtocolJSON.decode(IntentMessage.self, from: line) == Self.intent) }
        server.shutdown()
        try await serving.value
    }

    @Test("keygen writes a public and a private (mode 600) certificate of one key pair, and will not overwrite them")
    func keygen() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-keygen-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = directory.appendingPathComponent("node").path
        let result = try CLI.run(["keygen", "--out", prefix])
        #expect(result.status == 0, "\(result.stderr)")
        let secret = try CurveKeyFile.read(prefix + ".key_secret")
        #expect(secret.secretKey != nil)
        #expect(try CurveKeyFile.read(prefix + ".key") == CurveKeyPair(publicKey: secret.publicKey, secretKey: nil))
        let mode = try FileManager.default.attributesOfItem(atPath: prefix + ".key_secret")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try CLI.run(["keygen", "--out", prefix])
        #expect(again.status != 0)
        #expect(again.stderr.contains("--force"))
    }

    @Test("Bad arguments and unreachable nodes are one clear line", arguments: [
        (["send"], "<text>"),
        (["send", "--timeout", "0", "wave"], "--timeout"),
        (["send", "--keys", "/tmp/k", "wave"], "--server-key"),
        (["send", "--endpoint", "bogus", "--no-wait", "wave"], "bad endpoint"),
        (["send", "--endpoint", "tcp://127.0.0.1:9", "--no-wait", "--timeout", "0.5", "wave"], "no node answered"),
        (["send", "--keys", "/no/such.key", "--server-key", "x", "wave"], "/no/such.key"),
        (["listen", "--topic", "video"], "video"),
        (["listen", "--count", "0"], "--count"),
    ])
    func badInput(_ arguments: [String], _ mention: String) throws {
        try CLI.run(arguments).expectOneClearErrorLine(mentioning: mention, prefixed: false)
    }
}
