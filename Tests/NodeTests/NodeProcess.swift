import Foundation
import Messaging
import SightlineProtocol

/// `sightline run Launch/demo.yaml` as a child process on free loopback ports, with a
/// subscriber on everything it publishes and a DEALER client for commands.
final class NodeProcess: @unchecked Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let binary: URL = {
        var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("sightline")
    }()
    static let qwenPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path

    /// The node runs a 0.5B interpreter and CLIP at 30 fps: only meaningful in an optimized build.
    static var available: Bool {
        #if DEBUG
        false
        #else
        FileManager.default.fileExists(atPath: qwenPath) && FileManager.default.isExecutableFile(atPath: binary.path)
        #endif
    }

    let process = Process()
    let commands: String
    let publish: String
    let metricsPort: Int
    let annotateDirectory: String
    let logPath: String
    let context: ZMQContext
    let subscriber: ZMQSocket
    let client: ZMQSocket
    private let lock = NSLock()
    private var received: [(topic: String, body: [UInt8], at: UInt64)] = []

    init(_ overrides: [String] = []) throws {
        let ports = try (0..<3).map { _ in try Self.freePort() }
        commands = "tcp://127.0.0.1:\(ports[0])"
        publish = "tcp://127.0.0.1:\(ports[1])"
        metricsPort = ports[2]
        let scratch = NSTemporaryDirectory() + "sightline-node-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        annotateDirectory = scratch + "/annotated"
        logPath = scratch + "/node.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = Self.binary
        process.currentDirectoryURL = Self.repository
        process.arguments = ["run", "Launch/demo.yaml",
                             "--set", "endpoints.commands=\(commands)", "--set", "endpoints.publish=\(publish)",
                             "--set", "metrics.port=\(metricsPort)", "--set", "intents.annotate_dir=\(annotateDirectory)"]
            + overrides.flatMap { ["--set", $0] }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        context = try ZMQContext()
        subscriber = try ZMQSocket(context, .sub)
        try subscriber.subscribe("")
        client = try ZMQSocket(context, .dealer)
        try process.run()
        try subscriber.connect(publish)
        try client.connect(commands)
    }

    deinit {
        if process.isRunning { process.terminate() }
        subscriber.close()
        client.close()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw NodeTestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Reads everything published for `seconds`, keeping it.
    func pump(seconds: Double) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            guard let message = try subscriber.receive(timeoutMs: 50), message.frames.count == 2 else { continue }
            let topic = String(decoding: message.frames[0], as: UTF8.self)
            lock.withLock { received.append((topic, message.frames[1], Self.now())) }
        }
    }

    /// Pumps until `condition` holds on what was received, or `seconds` pass.
    @discardableResult
    func pump(until seconds: Double, _ condition: (NodeProcess) -> Bool) throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition(self) { return true }
            try pump(seconds: 0.1)
        }
        return condition(self)
    }

    func messages(_ topic: String) -> [[UInt8]] { lock.withLock { received.filter { $0.topic == topic }.map(\.body) } }

    func intents(for commandID: String) throws -> [IntentMessage] {
        try messages("intent").map { try ProtocolJSON.decode(IntentMessage.self, from: $0) }.filter { $0.commandID == commandID }
    }

    func statuses() throws -> [StatusMessage] {
        try messages("status").map { try ProtocolJSON.decode(StatusMessage.self, from: $0) }
    }

    /// Waits until the node publishes its first status (models loaded, sockets up);
    /// fails as soon as the node exits instead.
    func waitUntilReady(seconds: Double = 90) throws {
        let ready = try pump(until: seconds) { !$0.messages("status").isEmpty || !$0.process.isRunning }
        guard ready, process.isRunning || !messages("status").isEmpty else {
            throw NodeTestFailure(
                process.isRunning ? "the node published no status within \(seconds) s; log:\n\(log)"
                    : "the node exited (status \(process.terminationStatus)) before publishing a status; log:\n\(log)")
        }
    }

    /// A node that is up. A port picked free can be taken by another test's connection before
    /// the node binds it; the node then exits with "Address already in use" and is started
    /// again on new ports (at most three times).
    static func started(_ overrides: [String] = []) throws -> NodeProcess {
        for attempt in 1...3 {
            let node = try NodeProcess(overrides)
            do {
                try node.waitUntilReady()
                return node
            } catch {
                guard attempt < 3, !node.process.isRunning, node.log.contains("Address already in use") else { throw error }
            }
        }
        throw NodeTestFailure("unreachable")
    }

    /// Sends a request body and returns the reply.
    func request(_ json: String, timeoutMs: Int = 10_000) throws -> CommandReply {
        _ = try client.send([[], Array(json.utf8)])
        guard let message = try client.receive(timeoutMs: timeoutMs) else { throw NodeTestFailure("no reply to \(json)") }
        return try ProtocolJSON.decode(CommandReply.self, from: message.frames.last ?? [])
    }

    /// SIGINT, then the exit status (nil if it did not exit within `seconds`).
    func interrupt(within seconds: Double = 20) -> Int32? {
        process.interrupt()
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < end {
            try? pump(seconds: 0.05)
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

struct NodeTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The demo recording's ground truth: which objects each frame shows, and where.
struct DemoTruth {
    struct Object: Decodable {
        var phrase: String
        var box: [Double]
        var visible: Double?
    }

    struct Row: Decodable {
        var seq: Int
        var objects: [Object]
        var absent: [String]
    }

    let rows: [Row]

    init() throws {
        let url = NodeProcess.repository.appendingPathComponent("Recordings/demo/truth.jsonl")
        rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
    }

    /// The truth of a frame the looping replay delivered as `seq` (1-based, increasing across loops).
    func row(forSeq seq: UInt64) -> Row { rows[Int((seq - 1) % UInt64(rows.count))] }

    static func iou(_ a: [Double], _ b: [Double]) -> Double {
        let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = w * h
        let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return union > 0 ? inter / union : 0
    }
}
