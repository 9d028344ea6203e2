import Foundation
import Messaging
import SightlineProtocol
import Testing
import ThreadSupport

/// The node end to end: `sightline run Launch/demo.yaml` (the bundled recording replayed at
/// 30 fps, the demo CLIP, the Qwen2.5 interpreter) over real ZeroMQ on loopback.
@Suite(.serialized, .enabled(if: NodeProcess.available, "needs an optimized build and the Qwen2.5 GGUF (make models)"))
struct NodeTests {
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
            let node = try NodeProcess()
            try node.waitUntilReady()
            let truth = try DemoTruth()
            var verdicts: [String: (right: Int, wrong: Int)] = [:]
            var previous: String?
            for (text, phrase, action) in [("pick up the red cube", "a red cube", "pick"), ("go to the blue ball", "a blue ball", "go_to")] {
                let reply = try node.request(#"{"text": "\#(text)"}"#)
                #expect(reply.status == .accepted)
                let id = try #require(reply.id)
                // Long enough for the objects to come and go: the recording loops every 6 s.
                try node.pump(until: 20) { (try? $0.intents(for: id).count) ?? 0 >= 40 }
                let intents = try node.intents(for: id)
                #expect(intents.count >= 10, "\(text): \(intents.count) intents\n\(node.log.suffix(2000))")
                #expect(intents.allSatisfy { $0.action == action }, "\(text)")
                for intent in intents {
                    switch Self.agreesWithTruth(intent, phrase: phrase, truth: truth) {
                    case true?: verdicts[text, default: (0, 0)].right += 1
                    case false?: verdicts[text, default: (0, 0)].wrong += 1
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
                    #expect(laterOld.isEmpty, "the superseded command was still republished")
                }
                previous = id
            }
            for (text, verdict) in verdicts {
                let rate = Double(verdict.right) / Double(max(1, verdict.right + verdict.wrong))
                print("[node] \(text): \(verdict.right) of \(verdict.right + verdict.wrong) intents agree with the frame's truth (\(rate))")
                #expect(rate >= 0.9, "\(text): \(verdict)")
            }
            // "stop" needs no model and ends the active intent.
            let stop = try node.request(#"{"text": "stop"}"#)
            let stopID = try #require(stop.id)
            try node.pump(until: 5) { (try? $0.intents(for: stopID).isEmpty == false) ?? false }
            let stopIntent = try #require(try node.intents(for: stopID).first)
            #expect(stopIntent.action == "stop" && stopIntent.latencyMs.total < 100)
            let before = try node.intents(for: previous!).count
            try node.pump(seconds: 1.5)
            #expect(try node.intents(for: previous!).count <= before + 1)  // at most one already in flight
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
            let node = try NodeProcess(["budgets_ms.intent_validity=700"])
            try node.waitUntilReady()
            let reply = try node.request(#"{"id": "rev-1", "text": "go to the blue ball"}"#)
            #expect(reply.status == .accepted && reply.id == "rev-1")
            try node.pump(until: 15) { (try? $0.intents(for: "rev-1").count) ?? 0 >= 8 }
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
            let node = try NodeProcess()
            try node.waitUntilReady()
            #expect(try node.request(#"{"id": "c-1", "text": "pick up the red cube"}"#).status == .accepted)
            try node.pump(until: 15) { (try? $0.intents(for: "c-1").isEmpty == false) ?? false }
            let cancel = try node.request(#"{"cancel": "c-1"}"#)
            #expect(cancel.status == .accepted)
            try node.pump(seconds: 0.5)  // a grounding already running may still land
            let settled = try node.intents(for: "c-1").count
            try node.pump(seconds: 1.5)
            #expect(try node.intents(for: "c-1").count == settled)
            #expect(try node.request(#"{"cancel": "c-1"}"#).reason == .unknownID)

            #expect(try node.request(#"{"id": "late", "text": "place the yellow cone on the green ring", "deadline_ms": 30}"#).status == .accepted)
            try node.pump(until: 10) { (try? $0.intents(for: "late").isEmpty == false) ?? false }
            let late = try #require(try node.intents(for: "late").first)
            #expect(late.status == .timeout)
            #expect(node.interrupt() == 0)
        }
    }

    /// 100 commands a second for 3 s from several clients: every request is answered, and frame
    /// work stays inside its deadlines while the interpreter is kept busy.
    @Test func commandFloodIsAnsweredAndFramesKeepTheirDeadlines() async throws {
        try await onDedicatedThread("node-test") { try Self.commandFloodIsAnsweredAndFramesKeepTheirDeadlinesBody() }
    }

    static func commandFloodIsAnsweredAndFramesKeepTheirDeadlinesBody() throws {
        do {
            let node = try NodeProcess()
            try node.waitUntilReady()
            try node.pump(seconds: 2)
            let before = try #require(try node.statuses().last)
            let clients = try (0..<4).map { _ -> ZMQSocket in
                let socket = try ZMQSocket(node.context, .dealer)
                try socket.connect(node.commands)
                return socket
            }
            var sent = 0, replies: [String: Int] = [:]
            let start = Date()
            while Date().timeIntervalSince(start) < 3 {
                let socket = clients[sent % clients.count]
                _ = try socket.send([[], Array(#"{"text": "pick up the red cube number \#(sent)"}"#.utf8)])
                sent += 1
                for client in clients {
                    while let message = try client.receive(dontWait: true) {
                        let reply = try ProtocolJSON.decode(CommandReply.self, from: message.frames.last ?? [])
                        replies[reply.reason?.rawValue ?? reply.status.rawValue, default: 0] += 1
                    }
                }
                try node.pump(seconds: 0.01)
            }
            let end = Date().addingTimeInterval(10)
            while replies.values.reduce(0, +) < sent && Date() < end {
                for client in clients {
                    while let message = try client.receive(timeoutMs: 20) {
                        let reply = try ProtocolJSON.decode(CommandReply.self, from: message.frames.last ?? [])
                        replies[reply.reason?.rawValue ?? reply.status.rawValue, default: 0] += 1
                    }
                }
                try node.pump(seconds: 0.05)
            }
            try node.pump(seconds: 2)
            let after = try #require(try node.statuses().last)
            print("[node flood] sent \(sent) in 3 s; replies \(replies); scene misses \(before.deadlineMisses["scene"] ?? 0) -> \(after.deadlineMisses["scene"] ?? 0); scene p99 \(after.latencyMs["scene"]?.p99 ?? -1) ms")
            #expect(sent >= 250)
            #expect(replies.values.reduce(0, +) == sent, "every request gets an answer")
            #expect((replies["rate_limited"] ?? 0) > 0)
            let scenes = (after.latencyMs["scene"]?.count ?? 0) - (before.latencyMs["scene"]?.count ?? 0)
            let misses = (after.deadlineMisses["scene"] ?? 0) - (before.deadlineMisses["scene"] ?? 0)
            #expect(scenes > 0)
            #expect(Double(misses) <= 0.05 * Double(scenes + misses), "scene deadline misses under the flood: \(misses) of \(scenes + misses)")
            for client in clients { client.close() }
            #expect(node.interrupt() == 0)
        }
    }

    @Test func shutdownIsCleanAndMetricsMatchStatus() async throws {
        try await onDedicatedThread("node-test") { try Self.shutdownIsCleanAndMetricsMatchStatusBody() }
    }

    static func shutdownIsCleanAndMetricsMatchStatusBody() throws {
        do {
            let node = try NodeProcess()
            try node.waitUntilReady()
            // A subscriber that never reads must not hold the node up.
            let stalled = try ZMQSocket(node.context, .sub)
            try stalled.setHighWaterMarks(receive: 1)
            try stalled.subscribe("")
            try stalled.connect(node.publish)
            try node.pump(seconds: 3)
            let metrics = try String(contentsOf: URL(string: "http://127.0.0.1:\(node.metricsPort)/metrics")!, encoding: .utf8)
            #expect(metrics.contains("sightline_frames_received "))
            #expect(metrics.contains("sightline_stage_latency_ms{"))
            #expect(metrics.contains("sightline_deadline_misses{"))
            let statusCount = node.messages("status").count
            #expect(statusCount >= 3, "a status every second")
            let exitCode = node.interrupt()
            #expect(exitCode == 0, "\(node.log.suffix(1500))")
            try node.pump(seconds: 0.3)
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
