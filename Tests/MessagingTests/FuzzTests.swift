import Foundation
import Imaging
import Messaging
import SightlineProtocol
import Testing

@Suite("Garbage never crashes the command server and is never dropped silently")
struct FuzzTests {
    /// Mutations of valid requests and plain random bytes.
    static func garbage(_ random: inout SplitMix64, count: Int) -> [[UInt8]] {
        let seeds = [#"{"id":"a","text":"pick up the cup","deadline_ms":100}"#, #"{"cancel":"a"}"#, #"{"text":"é ünïcødé 🤖"}"#]
            .map { Array($0.utf8) }
        return (0..<count).map { index in
            switch index % 4 {
            case 0:  // random bytes
                return (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:  // a valid request with bytes flipped, inserted or cut
                var bytes = seeds[index % seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    let position = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0...2, using: &random) {
                    case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.insert(Array(#"{}[]",:\0"#.utf8).randomElement(using: &random)!, at: position)
                    default: bytes.removeSubrange(position...)
                    }
                }
                return bytes
            case 2:  // deep nesting
                let depth = Int.random(in: 1...5000, using: &random)
                return Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
            default:  // valid JSON of the wrong shape
                return Array([#"{"text":null}"#, #"{"text":["a"]}"#, #"{"cancel":{}}"#, "1e999", #""\ud800""#, "-0", #"{"text":"a","text":"b"}"#]
                    .randomElement(using: &random)!.utf8)
            }
        }
    }

    @Test("Random and mutated requests are all answered; the server keeps serving", .timeLimit(.minutes(2)))
    func fuzzOverTheWire() async throws {
        let context = try ZMQContext()
        let running = try RunningServer(context) {
            $0.ratePerSecond = 1_000_000
            $0.burst = 1_000_000
            $0.queueCapacity = 10_000
        }
        let endpoint = running.endpoint
        var random = SplitMix64(seed: 0x5EED)
        let bodies = Self.garbage(&random, count: 2000)
        let (answered, frameCountReplies) = try await blocking { () throws -> (Int, [CommandReply?]) in
            let client = try TestClient(context, endpoint: endpoint)
            var answered = 0
            for body in bodies where try client.request(body) != nil { answered += 1 }
            // Wrong frame counts: 2 to 6 frames with random content.
            var frameReplies: [CommandReply?] = []
            var frameRandom = SplitMix64(seed: 7)
            for frames in 2...6 {
                let parts = (0..<frames).map { _ in (0..<Int.random(in: 1...20, using: &frameRandom)).map { _ in UInt8.random(in: 0...255, using: &frameRandom) } }
                try client.socket.send(parts)
                frameReplies.append(try client.reply())
            }
            return (answered, frameReplies)
        }
        #expect(answered == bodies.count, "every request gets a reply")
        for reply in frameCountReplies { #expect(reply?.reason == .invalidRequest) }

        // A frame over the connection limit gets that connection dropped by libzmq
        // (documented); the server itself carries on.
        let afterHugeFrame = try await blocking { () throws -> (CommandReply?, CommandReply?) in
            let hugeSender = try TestClient(context, endpoint: endpoint)
            let huge = try hugeSender.request([UInt8](repeating: 0x7B, count: 2 << 20), timeoutMs: 500)
            return (huge, try TestClient(context, endpoint: endpoint).request(#"{"id":"after-fuzz","text":"still here?"}"#))
        }
        #expect(afterHugeFrame.0 == nil)
        #expect(afterHugeFrame.1 == .accepted("after-fuzz"))
        let statistics = running.server.statistics()
        #expect(statistics.rejected.values.reduce(0, +) + statistics.accepted == UInt64(bodies.count + 5 + 1))
        try await running.stop()
    }

    @Test("The request parser gives every input a verdict, and accepted requests survive re-encoding")
    func parserFuzz() throws {
        var random = SplitMix64(seed: 42)
        for body in Self.garbage(&random, count: 20_000) {
            switch CommandRequest.parse(body, limits: CommandLimits()) {
            case .success(let request):
                #expect(try CommandRequest.parse(ProtocolJSON.encode(request), limits: CommandLimits()).get() == request)
            case .failure(let rejection):
                #expect(!rejection.detail.isEmpty)
            }
        }
    }
}
