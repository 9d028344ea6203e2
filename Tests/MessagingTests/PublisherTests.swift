import Foundation
import Messaging
import SightlineProtocol
import Testing

@Suite("Publisher over real ZeroMQ on loopback")
struct PublisherTests {
    let context: ZMQContext

    init() throws { context = try ZMQContext() }

    func publisher(_ configure: (inout PublisherConfiguration) -> Void = { _ in }) throws -> Publisher {
        var configuration = PublisherConfiguration()
        configuration.endpoint = "tcp://127.0.0.1:*"
        configuration.closeLingerMs = 0
        configure(&configuration)
        return try Publisher(context: context, configuration: configuration)
    }

    /// Waits until the publisher has seen `count` subscriptions (they travel asynchronously).
    func waitForSubscriptions(_ publisher: Publisher, _ count: Int) async throws {
        for _ in 0..<300 where publisher.statistics().subscriptions < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(publisher.statistics().subscriptions == count)
    }

    @Test("Subscribers get [topic, json] for their topic only")
    func topics() async throws {
        let publisher = try publisher()
        let subscriber = try ZMQSocket(context, .sub)
        try subscriber.subscribe("intent")
        try subscriber.connect(publisher.endpoint)
        try await waitForSubscriptions(publisher, 1)
        #expect(try publisher.publish(.scene, SampleMessages.scene))
        #expect(try publisher.publish(.intent, SampleMessages.intents[0]))
        let message = try await blocking { try subscriber.receive(timeoutMs: 3000) }
        let frames = try #require(message?.frames)
        #expect(frames.count == 2)
        #expect(frames[0] == Array("intent".utf8))
        #expect(try ProtocolJSON.decode(IntentMessage.self, from: frames[1]) == SampleMessages.intents[0])
        #expect(try await blocking { try subscriber.receive(timeoutMs: 200) } == nil, "the scene message must not arrive")
        #expect(publisher.statistics().published == 2)
        #expect(publisher.statistics().drops == 0)
        subscriber.close()
        publisher.close()
    }

    /// A subscriber that never reads, with tiny buffers, fills up; publishing
    /// must go on without blocking, count the drops, and keep delivering every
    /// message to a subscriber that does read.
    @Test("A slow subscriber never blocks publishing; its drops are counted; others miss nothing", .timeLimit(.minutes(1)))
    func slowSubscriber() async throws {
        let publisher = try publisher {
            $0.sendHighWaterMark = 32
            $0.kernelSendBufferBytes = 4096
        }
        let stalled = try ZMQSocket(context, .sub)
        try stalled.setHighWaterMarks(receive: 1)
        try stalled.setKernelBuffers(receive: 4096)
        try stalled.subscribe("")
        try stalled.connect(publisher.endpoint)
        let reader = try ZMQSocket(context, .sub)
        try reader.setHighWaterMarks(receive: 100_000)
        try reader.subscribe("scene")
        try reader.connect(publisher.endpoint)
        try await waitForSubscriptions(publisher, 2)

        let count = 400
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
        // The reader runs on its own thread and counts what it gets.
        let received = Task { try await blocking { () throws -> Int in
            var got = 0
            while got < count, try reader.receive(timeoutMs: 3000) != nil { got += 1 }
            return got
        } }
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for _ in 0..<count {
            let start = clock.now
            try publisher.publish(topic: "scene", payload: payload)
            slowest = max(slowest, clock.now - start)
            // Paced like a camera, so that the reader can keep up and only the stalled one falls behind.
            try await Task.sleep(for: .milliseconds(2))
        }
        let readerGot = try await received.value
        let statistics = publisher.statistics()
        #expect(statistics.published == UInt64(count))
        // 400 x 16 KiB cannot fit in 1 + 32 messages plus two 4 KiB kernel buffers.
        #expect(statistics.drops > 0)
        // Were the stalled subscriber allowed to hold everyone back (plain NODROP), the
        // reader would get about 40 messages; it may lose a few of its own to CPU
        // contention on a shared machine, hence not exactly all.
        #expect(readerGot >= count * 9 / 10, "the reading subscriber got \(readerGot) of \(count), publisher drops \(statistics.drops)")
        #expect(slowest < .seconds(1), "one publish took \(slowest)")
        stalled.close()
        reader.close()
        publisher.close()
    }

    /// The field fault: a subscriber that read slowly got intents 4 to 73 s old, because
    /// 100 queued messages sat behind megabytes of autotuned TCP buffers. With the node's
    /// default queues and a subscriber set up as docs/protocol.md says (small ZMQ_RCVHWM
    /// and ZMQ_RCVBUF), a subscriber that stalls while 20,000 intents are published finds
    /// only what fits in those queues: ZeroMQ drops the new messages at the high-water
    /// mark and keeps the queued ones, so it reads the oldest, in order, and then every
    /// message published after it caught up.
    @Test("A stalled subscriber finds a bounded backlog, oldest first, then gets new messages", .timeLimit(.minutes(1)))
    func stalledSubscriberBacklogIsBounded() async throws {
        let defaults = PublisherConfiguration()
        let sendBuffer = try #require(defaults.kernelSendBufferBytes)
        let publisher = try publisher()
        let receiveHighWaterMark: Int32 = 16, receiveBuffer: Int32 = 16 * 1024
        let subscriber = try ZMQSocket(context, .sub)
        try subscriber.setHighWaterMarks(receive: receiveHighWaterMark)
        try subscriber.setKernelBuffers(receive: receiveBuffer)
        try subscriber.subscribe("intent")
        try subscriber.connect(publisher.endpoint)
        try await waitForSubscriptions(publisher, 1)

        // About the size of a grounded intent.
        struct Numbered: Codable { var seq: Int; var pad: String }
        @Sendable func payload(_ seq: Int) throws -> [UInt8] {
            try Array(JSONEncoder().encode(Numbered(seq: seq, pad: String(repeating: "x", count: 640))))
        }
        @Sendable func seq(_ message: ZMQSocket.Message) throws -> Int {
            try JSONDecoder().decode(Numbered.self, from: Data(message.frames[1])).seq
        }
        let published = 20_000
        for n in 0..<published { try publisher.publish(topic: "intent", payload: payload(n)) }

        // Catch up: read what was queued, then publish fresh messages one at a time and
        // read until each arrives (a straggler from the backlog still counts as backlog).
        let (backlog, fresh) = try await blocking { () throws -> ([Int], [Int]) in
            var backlog: [Int] = [], fresh: [Int] = []
            while let message = try subscriber.receive(timeoutMs: 1000) { backlog.append(try seq(message)) }
            for n in published..<(published + 20) {
                try publisher.publish(topic: "intent", payload: payload(n))
                while let message = try subscriber.receive(timeoutMs: 5000) {
                    let got = try seq(message)
                    if got < published { backlog.append(got) } else { fresh.append(got) }
                    if got == n { break }
                }
            }
            return (backlog, fresh)
        }
        // What can be queued for one subscriber: the node's high-water mark, the
        // subscriber's, both kernel buffers (Linux doubles what SO_SNDBUF and SO_RCVBUF
        // ask for), and libzmq's 8 KiB encode and decode batches.
        let messageBytes = try payload(0).count
        let queuedBytes = 2 * Int(sendBuffer) + 2 * Int(receiveBuffer) + 2 * 8192
        let bound = Int(defaults.sendHighWaterMark) + Int(receiveHighWaterMark) + queuedBytes / messageBytes + 2
        print("stalled subscriber: \(backlog.count) of \(published) published were queued for it (bound \(bound))")
        #expect(backlog.count <= bound, "\(backlog.count) stale messages queued; bound \(bound)")
        #expect(backlog.first == 0, "the oldest message is kept; the new ones are dropped")
        #expect(zip(backlog, backlog.dropFirst()).allSatisfy { $0 < $1 }, "in publishing order")
        #expect(fresh == Array(published..<(published + 20)), "every message after catching up arrives")
        #expect(publisher.statistics().drops > 0)
        subscriber.close()
        publisher.close()
    }

    @Test("Publishing after close is an error, not a crash")
    func publishAfterClose() throws {
        let publisher = try publisher()
        publisher.close()
        #expect(throws: ZMQError.self) { try publisher.publish(topic: "status", payload: [1]) }
    }

    @Test("Publishing from many threads at once is safe")
    func concurrentPublish() async throws {
        let publisher = try publisher()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { for _ in 0..<250 { _ = try? publisher.publish(.status, SampleMessages.status) } }
            }
        }
        #expect(publisher.statistics().published == 1000)
        publisher.close()
    }
}
