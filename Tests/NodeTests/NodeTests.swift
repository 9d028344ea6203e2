import Foundation
import Messaging
import SightlineProtocol
import Testing
import ThreadSupport

/// The node end to end: `sightline run Launch/demo.yaml` (the bundled recording replayed at
/// 30 fps, the demo CLIP, the Qwen2.5 interpreter) over real ZeroMQ on loopback.
@Suite(.serialized, .enabled(if: NodeProcess.available, "needs an optimized build and the Qwen2.5 GGUF (make models)"))
struct NodeTests {
    /// How long a check waits for what an idle machine shows in seconds: the tests assert counts
    /// and order, never speed, and must hold beside a CPU hog. Each wait ends once it is met.
    static let slowMachineLimit: Double = 120

    /// Whether an intent agrees with the ground truth of its own frame: grounded with IoU >= 0.5
    /// where the phrase is in view (at least half visible), not_found where it is absent.
    static func agreesWithTruth(_ intent: IntentMessage, phrase: String, truth: DemoTruth) -> Bool? {
        let row = truth.row(forSeq: intent.frame.seq)
        if let object = row.objects.first(where: { $0.phrase == phrase }) {
            guard (object.visible ?? 1) >= 0.5 else { return nil }  // half out of frame: either answer is fair
            guard intent.status == .grounded, let box = intent.target?.box else { return false }
            return DemoTruth.iou(box, object.box) >= 0.5
        }
        return intent.status == .notFound
    }

    @Test func demoCommandsAreGroundedOnTheFramesTheyName() async throws {
        try await onDedicatedThread("node-test") { try Self.demoCommandsAreGroundedOnTheFramesTheyNameBody() }
    }

    static func demoCommandsAreGroundedOnTheFramesTheyNameBody() throws {
        do {
            // What is checked here is where commands are grounded, not how fast they are
            // interpreted: while the rest of the test run starts beside this node (every suite
            // at once on 2 cores) an interpretation can take longer than the demo's 4 s budget.
            let node = try NodeProcess.started(["budgets_ms.interpret=20000"])
            let truth = try DemoTruth()
            var verdicts: [String: (right: Int, wrong: Int)] = [:]
            var previous: String?
            for (text, phrase, action) in [("pick up the red cube", "a red cube", "pick"), ("go to the blue ball", "a blue ball", "go_to")] {
                let reply = try node.request(#"{"text": "\#(text)"}"#)
                #expect(reply.status == .accepted)
                let id = try #require(reply.id)
                // Long enough for the objects to come and go: the recording loops every 6 s. On a
                // loaded machine revisions come slower: then wait longer (each wait ends as soon as
                // its count is reached) for the ten that the checks below need.
                try node.pump(until: 20) { (try? $0.intents(for: id).count) ?? 0 >= 40 }
                try node.pump(until: Self.slowMachineLimit) { (try? $0.intents(for: id).count) ?? 0 >= 10 }
                let intents = try node.intents(for: id)
                #expect(intents.count >= 10, "\(text): \(intents.count) intents\n\(node.log.suffix(2000))")
                #expect(intents.allSatisfy { $0.action == action }, "\(text)")
                for intent in intents {
                    switch Self.agreesWithTruth(intent, phrase: phrase, truth: truth) {
                    case true?: verdicts[text, default: (0, 0)].right += 1
                    case false?:
                        verdicts[text, default: (0, 0)].wrong += 1
                        let row = truth.row(forSeq: intent.frame.seq)
                        print("[node] \(text): frame \(intent.frame.seq) r\(intent.revision) \(intent.status.rawValue) box \(intent.target?.box.map { Int($0) } ?? []) truth \(row.objects.first { $0.phrase == phrase }.map { "\($0.box)" } ?? "absent")")
                    case nil: break
                    }
                }
                // A newer command supersedes the older one: no revision of it after this one began.
                if let previous {
                    let firstOfThis = try #require(node.messages("intent").firstIndex {
                        (try? ProtocolJSON.decode(IntentMessage.self, from: $0))?.commandID == id
                    })
                    let laterOld = node.messages("intent")[(firstOfThis + 1)...].filter {
                        (try? ProtocolJSON.decode(IntentMessage.self, from: $0))?.commandID == previous
                    }
                    #expect(laterOld.count == 0, "the superseded command was still republished \(laterOld.count) times")
                }
                previous = id
            }
            for (text, verdict) in verdicts {
                let rate = Double(verdict.right) / Double(max(1, verdict.right + verdict.wrong))
                print("[node] \(text): \(verdict.right) of \(verdict.right + verdict.wrong) intents agree with the frame's truth (\(rate))")
                // The demo CLIP finds the right object nearly always; its boxes are sometimes too large
                // for IoU 0.5 (README: grounding figures), so a few per cent of revisions miss the IoU bar.
                #expect(rate >= 0.7, "\(text): \(verdict)")
            }
            // "stop" needs no model and ends the active intent.
            let stop = try node.request(#"{"text": "stop"}"#)
            #expect(stop.status == .accepted)
            let stopID = try #require(stop.id)
            try node.pump(until: 5) { (try? $0.intents(for: stopID).isEmpty == false) ?? false }
            let stopIntent = try #require(try node.intents(for: stopID).first)
            #expect(stopIntent.action == "stop")
            // Stop wins: nothing of the command it ended is published after the stop's intent.
            try node.pump(seconds: 1.5)
            let intentMessages = node.messages("intent").compactMap { try? ProtocolJSON.decode(IntentMessage.self, from: $0) }
            let stopIndex = try #require(intentMessages.firstIndex { $0.commandID == stopID })
            let afterStop = intentMessages[(stopIndex + 1)...].filter { $0.commandID == previous! }
            #expect(afterStop.isEmpty, "\(afterStop.count) intents of \(previous!) after the stop")
            let annotated = (try? FileManager.default.contentsOfDirectory(atPath: node.annotateDirectory)) ?? []
            #expect(annotated.contains { $0.hasSuffix(".png") })
            #expect(node.interrupt() == 0)
        }
    }

    @Test func revisionsAndValidityBehaveAsDocumented() async throws {
        try await onDedicatedThread("node-test") { try Self.revisionsAndValidityBehaveAsDocumentedBody() }
    }

    static func revisionsAndValidityBehaveAsDocumentedBody() throws {
        do {
            let node = try NodeProcess.started(["budgets_ms.intent_validity=700"])
            let reply = try node.request(#"{"id": "rev-1", "text": "go to the blue ball"}"#)
            #expect(reply.status == .accepted && reply.id == "rev-1")
            try node.pump(until: Self.slowMachineLimit) { (try? $0.intents(for: "rev-1").count) ?? 0 >= 8 }
            let intents = try node.intents(for: "rev-1")
            #expect(intents.count >= 8)
            #expect(intents.map(\.revision) == Array(0..<intents.count))
            for intent in intents {
                #expect(intent.validUntilRealtimeNs == intent.frame.capturedRealtimeNs + 700_000_000)
                #expect(intent.id == "rev-1/\(intent.revision)")
                #expect(intent.latencyMs.ground >= 0 && intent.latencyMs.total >= intent.latencyMs.ground)
            }
            #expect(intents[0].latencyMs.total >= intents[0].latencyMs.interpret)
            // Frames move forward with revisions.
            #expect(zip(intents, intents.dropFirst()).allSatisfy { $0.frame.seq < $1.frame.seq })
            #expect(node.interrupt() == 0)
        }
    }

    @Test func cancelEndsACommandAndAMissedDeadlineIsATimeout() async throws {
        try await onDedicatedThread("node-test") { try Self.cancelEndsACommandAndAMissedDeadlineIsATimeoutBody() }
    }

    static func cancelEndsACommandAndAMissedDeadlineIsATimeoutBody() throws {
        do {
            let node = try NodeProcess.started()
            #expect(try node.request(#"{"id": "c-1", "text": "pick up the red cube"}"#).status == .accepted)
            try node.pump(until: Self.slowMachineLimit) { (try? $0.intents(for: "c-1").isEmpty == false) ?? false }
            let cancel = try node.request(#"{"cancel": "c-1"}"#)
            // (A first intent that is final, e.g. a timeout on a loaded machine, finishes the command.)
            let first = try node.intents(for: "c-1").map { "\($0.status) \($0.detail ?? "")" }
            #expect(cancel.status == .accepted, "\(cancel) after \(first)")
            // A grounding already running may still land, once: wait until a second passes with
            // no new revision (however slow the machine), then none may follow.
            var settled = try node.intents(for: "c-1").count
            for _ in 0..<Int(Self.slowMachineLimit) {
                try node.pump(seconds: 1)
                let now = try node.intents(for: "c-1").count
                if now == settled { break }
                settled = now
            }
            try node.pump(seconds: 1.5)
            #expect(try node.intents(for: "c-1").count == settled)
            #expect(try node.request(#"{"cancel": "c-1"}"#).reason == .unknownID)

            #expect(try node.request(#"{"id": "late", "text": "place the yellow cone on the green ring", "deadline_ms": 30}"#).status == .accepted)
            try node.pump(until: Self.slowMachineLimit) { (try? $0.intents(for: "late").isEmpty == false) ?? false }
            let late = try #require(try node.intents(for: "late").first)
            #expect(late.status == .timeout)
            #expect(node.interrupt() == 0)
        }
    }

    /// 100 commands a second for 3 s from several clients: every request is answered, and frame
    /// work goes on while the interpreter is kept busy.
    @Test func commandFloodIsAnsweredAndFrameWorkGoesOn() async throws {
        try await onDedicatedThread("node-test") { try Self.commandFloodIsAnsweredAndFrameWorkGoesOnBody() }
    }

    static func commandFloodIsAnsweredAndFrameWorkGoesOnBody() throws {
        do {
            let node = try NodeProcess.started()
            try node.pump(seconds: 2)
            // An active intent keeps frame work (re-grounding at 5 Hz, scene scoring) going.
            let target = try node.request(#"{"id": "flood-target", "text": "pick up the red cube"}"#)
            #expect(target.status == .accepted)
            try node.pump(until: Self.slowMachineLimit) { (try? $0.intents(for: "flood-target").count) ?? 0 >= 3 }
            // The same span without the flood, for comparison: the machine may be shared.
            let baselineStart = try #require(try node.statuses().last)
            try node.pump(seconds: 5)
            let before = try #require(try node.statuses().last)
            let clients = try (0..<4).map { _ -> ZMQSocket in
                let socket = try ZMQSocket(node.context, .dealer)
                try socket.connect(node.commands)
                return socket
            }
            var sent = 0, replies: [String: Int] = [:]
            func drain(waitMs: Int) throws {
                for client in clients {
                    while let message = try (waitMs > 0 ? client.receive(timeoutMs: waitMs) : client.receive(dontWait: true)) {
                        let reply = try ProtocolJSON.decode(CommandReply.self, from: message.frames.last ?? [])
                        replies[reply.reason?.rawValue ?? reply.status.rawValue, default: 0] += 1
                    }
                }
            }
            let start = Date()
            // 300 commands at 100 a second, round robin over the clients (a starved test thread
            // catches up in bursts: the count is what the checks below rely on).
            while sent < 300 {
                let due = min(300, Int(Date().timeIntervalSince(start) * 100))
                while sent < due {
                    _ = try clients[sent % clients.count].send([[], Array(#"{"text": "pick up the red cube number \#(sent)"}"#.utf8)])
                    sent += 1
                }
                try drain(waitMs: 0)
                Thread.sleep(forTimeInterval: 0.005)
            }
            let end = Date().addingTimeInterval(Self.slowMachineLimit)
            while replies.values.reduce(0, +) < sent && Date() < end { try drain(waitMs: 20) }
            // Statuses queued in the subscriber meanwhile, then two more seconds of them.
            try node.pump(seconds: 2.5)
            let after = try #require(try node.statuses().last)
            func frameJobs(_ status: StatusMessage) -> (done: UInt64, missed: UInt64) {
                let stages = ["scene", "ground"]
                return (stages.reduce(0) { $0 + (status.latencyMs[$1]?.count ?? 0) },
                        stages.reduce(0) { $0 + (status.deadlineMisses[$1] ?? 0) })
            }
            let (doneBefore, missedBefore) = frameJobs(before), (doneAfter, missedAfter) = frameJobs(after)
            let done = doneAfter - doneBefore, missed = missedAfter - missedBefore
            let (doneBase0, missedBase0) = frameJobs(baselineStart)
            let baselineRate = Double(missedBefore - missedBase0) / Double(max(1, doneBefore - doneBase0 + missedBefore - missedBase0))
            print("[node flood] baseline miss rate \(baselineRate); sent \(sent) in 3 s; replies \(replies); frame jobs \(done) done, \(missed) missed; scene p99 \(after.latencyMs["scene"]?.p99 ?? -1) ms, ground p99 \(after.latencyMs["ground"]?.p99 ?? -1) ms; shedding \(after.shedding)")
            #expect(sent == 300)
            #expect(replies.values.reduce(0, +) == sent, "every request gets an answer")
            #expect((replies["rate_limited"] ?? 0) + (replies["busy"] ?? 0) > 0)
            // Frame work went on through the flood. How many frame jobs meet their deadlines
            // depends on what else loads the machine (a few dozen jobs, so a rate is noise
            // here): the scheduler's guarantee, that a frame job waits for at most the
            // interpretation step in progress, is checked on a manual clock in
            // ComputeExecutorTests, and the figures come from scripts/bench/node_bench.py.
            #expect(done >= 1, "no frame job finished during the flood (\(missed) missed)")
            for client in clients { client.close() }
            #expect(node.interrupt() == 0)
        }
    }

    @Test func shutdownIsCleanAndMetricsMatchStatus() async throws {
        try await onDedicatedThread("node-test") { try Self.shutdownIsCleanAndMetricsMatchStatusBody() }
    }

    static func shutdownIsCleanAndMetricsMatchStatusBody() throws {
        do {
            let node = try NodeProcess.started()
            // A subscriber that never reads must not hold the node up.
            let stalled = try ZMQSocket(node.context, .sub)
            try stalled.setHighWaterMarks(receive: 1)
            try stalled.subscribe("")
            try stalled.connect(node.publish)
            try node.pump(until: Self.slowMachineLimit) { $0.messages("status").count >= 3 }
            let metrics = try httpGet(port: node.metricsPort, path: "/metrics")
            #expect(metrics.contains("sightline_frames_received "))
            #expect(metrics.contains("sightline_stage_latency_ms{"))
            #expect(metrics.contains("sightline_deadline_misses{"))
            // Loopback command endpoint, so the unauthenticated metrics stay on loopback too.
            #expect(node.log.contains("metrics on http://127.0.0.1:\(node.metricsPort)/metrics"), "\(node.log.prefix(1500))")
            for address in MetricsReachability.nonLoopbackIPv4Addresses() {
                #expect(!MetricsReachability.accepts(address, port: node.metricsPort), "metrics reachable on \(address)")
            }
            // The BLAS core in use, the same in status and in /metrics.
            let core = try #require(try node.statuses().last?.blasCore, "status names the BLAS core")
            #expect(metrics.contains("sightline_build_info{") && metrics.contains("blas_core=\"\(core)\""))
            let statusCount = node.messages("status").count
            #expect(statusCount >= 3, "a status every second")
            // Commands accepted in the last moments before SIGTERM still get an intent.
            let late = try ["pick up the red cube", "push the blue ball"].map { try node.request(#"{"text": "\#($0)"}"#) }
            #expect(late.allSatisfy { $0.status == .accepted })
            let exitCode = node.interrupt()
            #expect(exitCode == 0, "\(node.log.suffix(1500))")
            try node.pump(seconds: 0.3)
            for reply in late {
                let answers = try node.intents(for: try #require(reply.id))
                #expect(!answers.isEmpty, "no intent for \(reply.id ?? "?") accepted before shutdown")
                #expect(answers.allSatisfy { $0.status != .error || $0.detail == "the node is shutting down" })
            }
            // The final status went out during shutdown.
            #expect(node.messages("status").count > statusCount)
            #expect(node.log.contains("node stopped"))
            // The ports are released.
            let rebind = try ZMQSocket(node.context, .router)
            #expect(throws: Never.self) { _ = try rebind.bind(node.commands) }
            rebind.close()
            stalled.close()
        }
    }
}

/// A plain HTTP/1.1 GET on loopback (Foundation on Linux has no synchronous URL loading).
func httpGet(port: Int, path: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw NodeTestFailure("cannot connect to the metrics port \(port)") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { break }
        response += buffer[0..<n]
    }
    return String(decoding: response, as: UTF8.self)
}
