import Foundation
import Messaging
import SightlineProtocol
import ThreadSupport

/// A command server on an ephemeral loopback port, serving until `stop()`.
final class RunningServer: Sendable {
    let server: CommandServer
    let task: Task<Void, any Error>
    var endpoint: String { server.endpoint }

    init(
        _ context: ZMQContext, curve: CurveServerOptions? = nil,
        _ configure: (inout CommandServerConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = CommandServerConfiguration()
        configuration.endpoint = "tcp://127.0.0.1:*"
        configuration.closeLingerMs = 0
        configuration.curve = curve
        configure(&configuration)
        let server = try CommandServer(context: context, configuration: configuration)
        self.server = server
        // Started here, on its own thread, so it serves even while other suites keep the cooperative pool busy.
        server.start()
        task = Task { try await server.run() }
    }

    func stop() async throws {
        server.shutdown()
        try await task.value
    }
}

/// A blocking test client (DEALER or REQ), used only inside `onDedicatedThread`.
final class TestClient: @unchecked Sendable {
    let socket: ZMQSocket
    let kind: ZMQSocket.Kind

    init(_ context: ZMQContext, _ kind: ZMQSocket.Kind = .dealer, endpoint: String, curve: CurveClientOptions? = nil) throws {
        socket = try ZMQSocket(context, kind)
        self.kind = kind
        if let curve { try socket.makeCurveClient(curve) }
        try socket.connect(endpoint)
    }

    /// Sends one request body and waits for its reply; nil when none comes in time.
    func request(_ body: [UInt8], timeoutMs: Int = 10_000) throws -> CommandReply? {
        try socket.send([body])
        return try reply(timeoutMs: timeoutMs)
    }

    func request(_ json: String, timeoutMs: Int = 10_000) throws -> CommandReply? {
        try request(Array(json.utf8), timeoutMs: timeoutMs)
    }

    /// The next reply, with a DEALER's optional empty delimiter removed.
    func reply(timeoutMs: Int = 10_000) throws -> CommandReply? {
        guard let message = try socket.receive(timeoutMs: timeoutMs) else { return nil }
        let body = message.frames.first?.isEmpty == true ? message.frames.dropFirst() : message.frames[...]
        guard body.count == 1, let frame = body.first else {
            throw TestFailure("reply has \(message.frames.count) frames")
        }
        return try ProtocolJSON.decode(CommandReply.self, from: frame)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs blocking client code off the cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await onDedicatedThread("messaging-test", body)
}

/// The next element of an async sequence, or nil after `seconds`.
func next<S: AsyncSequence & Sendable>(_ sequence: S, within seconds: Double) async -> S.Element?
where S.Element: Sendable {
    await withTaskGroup(of: S.Element?.self) { group in
        group.addTask {
            var iterator = sequence.makeAsyncIterator()
            return try? await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
