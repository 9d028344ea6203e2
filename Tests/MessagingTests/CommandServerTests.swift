import Foundation
import Messaging
import SightlineProtocol
import Testing

@Suite("Command server over real ZeroMQ on loopback")
struct CommandServerTests {
    let context: ZMQContext

    init() throws { context = try ZMQContext() }

    @Test("REQ and DEALER clients are both answered, and the command reaches the stream")
    func reqAndDealer() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let (viaReq, viaDealer) = try await blocking {
            let req = try TestClient(context, .req, endpoint: endpoint)
            let dealer = try TestClient(context, .dealer, endpoint: endpoint)
            return (try req.request(#"{"id":"r1","text":"pick up the red cup","deadline_ms":1500}"#),
                    try dealer.request(#"{"id":"d1","text":"point at the door"}"#))
        }
        #expect(viaReq == .accepted("r1"))
        #expect(viaDealer == .accepted("d1"))
        let first = await next(running.server.commands, within: 10)
        #expect(first?.id == "r1")
        #expect(first?.text == "pick up the red cup")
        #expect(first?.deadlineMs == 1500)
        #expect(first?.client.hasPrefix("peer:") == true)
        let second = await next(running.server.commands, within: 10)
        #expect(second?.id == "d1")
        #expect(second?.deadlineMs == nil)
        #expect(running.server.commands.count == 0)
        try await running.stop()
    }

    @Test("A DEALER that sends the REQ-style empty delimiter gets it back")
    func dealerWithDelimiter() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let frames = try await blocking { () throws -> [[UInt8]] in
            let socket = try ZMQSocket(context, .dealer)
            try socket.connect(endpoint)
            try socket.send([[], Array(#"{"id":"e1","text":"stop"}"#.utf8)])
            guard let reply = try socket.receive(timeoutMs: 3000) else { throw TestFailure("no reply") }
            return reply.frames
        }
        #expect(frames.count == 2)
        #expect(frames.first == [])
        #expect(try ProtocolJSON.decode(CommandReply.self, from: frames[1]) == .accepted("e1"))
        try await running.stop()
    }

    @Test("A command without id gets a generated one, in the reply and in the stream")
    func generatedID() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let reply = try await blocking { try TestClient(context, endpoint: endpoint).request(#"{"text":"wave"}"#) }
        let id = try #require(reply?.id)
        #expect(reply?.status == .accepted)
        #expect(id.hasPrefix("cmd-") && id.count > 10)
        #expect(await next(running.server.commands, within: 10)?.id == id)
        try await running.stop()
    }

    /// Each reason from a real client, with the request that must cause it.
    static let rejectionCases: [(String, RejectionReason)] = [
        (#"{"text": "pick"#, RejectionReason.invalidJSON),
        ("\u{FF}\u{FE}", .invalidJSON),
        (#"{"text": 5}"#, .invalidRequest),
        (#"["text"]"#, .invalidRequest),
        (#"{"text": "pick", "colour": "red"}"#, .invalidRequest),
        (#"{"text": "pick", "deadline_ms": 1.5}"#, .invalidRequest),
        (#"{"text": "pick", "deadline_ms": true}"#, .invalidRequest),
        (#"{"text": "   "}"#, .invalidRequest),
        (#"{"text": "pick", "id": "has space"}"#, .invalidRequest),
        (#"{"text": "pick", "schema": "sightline.command/2"}"#, .invalidRequest),
        (#"{"cancel": 7}"#, .invalidRequest),
        ("{\"text\": \"" + String(repeating: "a", count: 20_000) + "\"}", .tooLarge),
        ("{\"text\": \"" + String(repeating: "é", count: 1001) + "\"}", .textTooLong),
        (#"{"cancel": "never-sent"}"#, .unknownID),
        (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), .invalidRequest),
    ]

    @Test("Every rejection reason", arguments: rejectionCases)
    func rejection(request: String, reason: RejectionReason) async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let reply = try await blocking { try TestClient(context, endpoint: endpoint).request(request) }
        #expect(reply?.status == .rejected)
        #expect(reply?.reason == reason, "\(reply?.detail ?? "no reply")")
        #expect(reply?.detail?.isEmpty == false)
        #expect(running.server.statistics().rejected[reason] == 1)
        try await running.stop()
    }

    @Test("The wrong number of body frames is invalid_request, with the client's envelope")
    func wrongFrameCount() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let replies = try await blocking { () throws -> [CommandReply?] in
            let client = try TestClient(context, endpoint: endpoint)
            try client.socket.send([Array(#"{"text":"a"}"#.utf8), Array(#"{"text":"b"}"#.utf8)])
            let twoBodies = try client.reply()
            try client.socket.send([[], [], Array(#"{"text":"a"}"#.utf8)])
            let extraDelimiter = try client.reply()
            return [twoBodies, extraDelimiter]
        }
        for reply in replies {
            #expect(reply?.reason == .invalidRequest)
            #expect(reply?.detail?.contains("body frame") == true)
        }
        try await running.stop()
    }

    @Test("A reused id is duplicate_id; the original stays accepted")
    func duplicateID() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let (first, second) = try await blocking {
            let client = try TestClient(context, endpoint: endpoint)
            return (try client.request(#"{"id":"same","text":"a"}"#), try client.request(#"{"id":"same","text":"b"}"#))
        }
        #expect(first == .accepted("same"))
        #expect(second?.reason == .duplicateID)
        #expect(second?.id == "same")
        try await running.stop()
    }

    @Test("A full queue is busy; so is every command while the scheduler sheds load")
    func busy() async throws {
        let running = try RunningServer(context) { $0.queueCapacity = 2 }
        let endpoint = running.endpoint
        let context = self.context
        let replies = try await blocking {
            let client = try TestClient(context, endpoint: endpoint)
            return try (1...3).map { try client.request(#"{"id":"q\#($0)","text":"a"}"#) }
        }
        #expect(replies[0]?.status == .accepted)
        #expect(replies[1]?.status == .accepted)
        #expect(replies[2]?.reason == .busy)
        #expect(running.server.commands.count == 2)
        // Taking one frees a place.
        #expect(await next(running.server.commands, within: 10)?.id == "q1")
        running.server.setShedding(true)
        let whileShedding = try await blocking { try TestClient(context, endpoint: endpoint).request(#"{"text":"a"}"#) }
        #expect(whileShedding?.reason == .busy)
        #expect(whileShedding?.detail?.contains("shedding") == true)
        running.server.setShedding(false)
        let afterwards = try await blocking { try TestClient(context, endpoint: endpoint).request(#"{"id":"q4","text":"a"}"#) }
        #expect(afterwards == .accepted("q4"))
        try await running.stop()
    }

    @Test("An urgent command (stop) skips shedding, the rate limit and a full queue")
    func urgentCommandsAreNeverBusy() async throws {
        let running = try RunningServer(context) {
            $0.queueCapacity = 1
            $0.burst = 1
            $0.ratePerSecond = 0.01
            $0.isUrgent = { $0 == "stop" }
        }
        let endpoint = running.endpoint
        let context = self.context
        running.server.setShedding(true)
        let (normal, urgent, again) = try await blocking {
            let client = try TestClient(context, endpoint: endpoint)
            return (try client.request(#"{"id":"n1","text":"pick up the cup"}"#),
                    try client.request(#"{"id":"s1","text":"stop"}"#),
                    try client.request(#"{"id":"s2","text":"stop"}"#))
        }
        #expect(normal?.reason == .busy)
        #expect(urgent == .accepted("s1"))
        #expect(again == .accepted("s2"))  // the client is over its rate, and still stops the robot
        #expect(await next(running.server.urgentCommands, within: 10)?.id == "s1")
        #expect(await next(running.server.urgentCommands, within: 10)?.id == "s2")
        #expect(running.server.commands.count == 0)
        try await running.stop()
    }

    @Test("Accepted commands are numbered in acceptance order across the ordinary and urgent streams; rejected ones take no number")
    func acceptanceSequence() async throws {
        let running = try RunningServer(context) { $0.isUrgent = { $0 == "stop" } }
        let endpoint = running.endpoint
        let context = self.context
        let replies = try await blocking {
            let client = try TestClient(context, endpoint: endpoint)
            return try [#"{"id":"p1","text":"pick up the cup"}"#, #"{"id":"s1","text":"stop"}"#, "not json",
                        #"{"id":"p1","text":"again"}"#, #"{"id":"p2","text":"wave"}"#, #"{"id":"s2","text":"stop"}"#]
                .map { try client.request($0) }
        }
        #expect(replies.map { $0?.status } == [.accepted, .accepted, .rejected, .rejected, .accepted, .accepted])
        let p1 = await next(running.server.commands, within: 10), p2 = await next(running.server.commands, within: 10)
        let s1 = await next(running.server.urgentCommands, within: 10), s2 = await next(running.server.urgentCommands, within: 10)
        #expect([p1, s1, p2, s2].map { $0?.id } == ["p1", "s1", "p2", "s2"])
        #expect([p1, s1, p2, s2].map { $0?.sequence } == [1, 2, 3, 4])
        try await running.stop()
    }

    @Test("A client over its rate is rate_limited; another client is not")
    func rateLimited() async throws {
        let running = try RunningServer(context) {
            $0.burst = 3
            $0.ratePerSecond = 0.01
        }
        let endpoint = running.endpoint
        let context = self.context
        let (flooder, other) = try await blocking {
            let client = try TestClient(context, endpoint: endpoint)
            // Invalid requests spend tokens too, so garbage cannot flood past the limit.
            let replies = try [#"{"text":"a"}"#, "not json", #"{"text":"b"}"#, #"{"id":"late","text":"c"}"#, #"{"text":"d"}"#]
                .map { try client.request($0) }
            return (replies, try TestClient(context, endpoint: endpoint).request(#"{"text":"e"}"#))
        }
        #expect(flooder.map { $0?.status } == [.accepted, .rejected, .accepted, .rejected, .rejected])
        #expect(flooder[1]?.reason == .invalidJSON)
        #expect(flooder[3]?.reason == .rateLimited)
        #expect(flooder[3]?.id == "late")
        #expect(flooder[4]?.reason == .rateLimited)
        #expect(other?.status == .accepted)
        try await running.stop()
    }

    @Test("Cancel of an active command is accepted and delivered; after it finished it is unknown_id")
    func cancel() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let client = try await blocking { try TestClient(context, endpoint: endpoint) }
        #expect(try await blocking { try client.request(#"{"id":"job","text":"go to the table"}"#) } == .accepted("job"))
        #expect(try await blocking { try client.request(#"{"cancel":"job"}"#) } == .accepted("job"))
        let cancellation = await next(running.server.cancellations, within: 10)
        #expect(cancellation?.id == "job")
        running.server.commandFinished("job")
        let late = try await blocking { try client.request(#"{"cancel":"job"}"#) }
        #expect(late?.reason == .unknownID)
        // A finished id still cannot be reused.
        #expect(try await blocking { try client.request(#"{"id":"job","text":"again"}"#) }?.reason == .duplicateID)
        try await running.stop()
    }

    @Test("After shutdown run() returns and the command stream ends after what was queued")
    func shutdownAnswersQueued() async throws {
        let running = try RunningServer(context)
        let endpoint = running.endpoint
        let context = self.context
        let client = try await blocking { try TestClient(context, endpoint: endpoint) }
        #expect(try await blocking { try client.request(#"{"text":"first"}"#) }?.status == .accepted)
        try await running.stop()
        var commandsAfterStop: [AcceptedCommand] = []
        for await command in running.server.commands { commandsAfterStop.append(command) }
        #expect(commandsAfterStop.count == 1, "the stream finishes after the queued command")
    }
}

@Suite("Socket basics")
struct SocketTests {
    @Test("pollReadable reports which socket has a message; a bad endpoint is a clear error")
    func pollAndErrors() throws {
        let context = try ZMQContext()
        let left = try ZMQSocket(context, .pair), right = try ZMQSocket(context, .pair)
        let quiet = try ZMQSocket(context, .pair)
        let endpoint = try left.bind("tcp://127.0.0.1:*")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:") && !endpoint.hasSuffix(":*"))
        try right.connect(endpoint)
        _ = try quiet.bind("inproc://quiet")
        #expect(try ZMQSocket.pollReadable([left, quiet], timeoutMs: 0) == [false, false])
        try right.send([Array("a".utf8), Array("b".utf8)])
        #expect(try ZMQSocket.pollReadable([left, quiet], timeoutMs: 3000) == [true, false])
        #expect(try left.receive(dontWait: true)?.frames == [Array("a".utf8), Array("b".utf8)])
        #expect(try left.receive(dontWait: true) == nil)
        #expect { try right.connect("nonsense") } throws: { error in
            (error as? ZMQError)?.description.contains("connect nonsense: Invalid argument") == true
        }
        #expect { try quiet.bind("inproc://quiet") } throws: { error in
            (error as? ZMQError)?.code == EADDRINUSE
        }
    }
}
