import ArgumentParser
import Foundation
import Messaging
import SightlineProtocol
import Synchronization
import ThreadSupport

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Print what a running node publishes, one JSON message per line.",
        discussion: """
            Each line is a message as published (intent, scene or status); its "schema" field says which. \
            Runs until Ctrl-C, or until --count messages. See docs/protocol.md.
            """)

    @Option(help: "The node's publish socket.")
    var endpoint = "tcp://127.0.0.1:5561"

    @Option(help: ArgumentHelp("Topic to print: intent, scene or status (repeat for several; default all).", valueName: "topic"))
    var topic: [String] = []

    @Option(help: "Stop after this many messages.")
    var count: Int?

    @Option(help: "Seconds to wait for the connection.")
    var timeout: Double = 10

    @OptionGroup var keys: ClientKeyOptions

    func validate() throws {
        let known = Set(Topic.allCases.map(\.rawValue))
        if let unknown = topic.first(where: { !known.contains($0) }) {
            throw ValidationError("unknown topic \"\(unknown)\"; topics are \(Topic.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if !(timeout > 0 && timeout <= 3600) { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    func run() async throws {
        let curve = try keys.curve()
        let stop = StopFlag()
        let watcher = InterruptWatcher { stop.set() }
        defer { withExtendedLifetime(watcher) {} }
        let command = self
        try await onDedicatedThread("sightline.listen") { try command.listen(curve: curve, stop: stop) }
    }

    private func listen(curve: CurveClientOptions?, stop: StopFlag) throws {
        let context = try ZMQContext()
        let topics = topic.isEmpty ? [""] : topic
        let socket = try connectClient(context, .sub, to: endpoint, curve: curve, timeoutSeconds: timeout) { socket in
            for topic in topics { try socket.subscribe(topic) }
        }
        var printed = 0
        while !stop.isSet, printed < count ?? .max {
            // The short poll lets Ctrl-C end the loop promptly.
            guard let message = try socket.receive(timeoutMs: 200), message.frames.count == 2 else { continue }
            let payload = message.frames[1]
            guard JSONValue.parse(payload) != nil else {
                printError("warning: a message on \"\(String(decoding: message.frames[0], as: UTF8.self))\" is not JSON; skipped")
                continue
            }
            // Written unbuffered, so a pipe (| jq) sees each message as it arrives.
            FileHandle.standardOutput.write(Data(payload + [UInt8(ascii: "\n")]))
            printed += 1
        }
    }
}

/// Set once from a signal handler, read by a loop on another thread.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
