import Foundation
import Imaging
import Messaging
import SightlineProtocol
import TestSupport
import Testing

@Suite("Garbage never crashes the command server and is never dropped silently")
struct FuzzTests {
    /// Mutations of valid requests and plain random bytes: edited bytes, other encodings, deep
    /// nesting, extreme numbers, long strings, duplicate keys, and valid JSON of the wrong shape.
    static func garbage(_ random: inout SplitMix64, count: Int) -> [[UInt8]] {
        let seeds = [#"{"id":"a","text":"pick up the cup","deadline_ms":100}"#, #"{"cancel":"a"}"#, #"{"text":"é ünïcødé 🤖"}"#]
        return (0..<count).map { index in
            let seed = seeds[index % seeds.count]
            switch index % 8 {
            case 0:  // random bytes
                return (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:  // a valid request with bytes flipped, inserted or deleted, sometimes cut short
                var bytes = randomlyEdited(Array(seed.utf8), alphabet: Array(#"{}[]",:\0"#.utf8) + [0, 0xFF, 0xC0], using: &random)
                if Bool.random(using: &random) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random))) }
                return bytes
            case 2:  // deep nesting
                let depth = Int.random(in: 1...5000, using: &random)
                return Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
            case 3:  // another encoding of a valid request
                let units = Array(seed.utf16), scalars = seed.unicodeScalars.map(\.value)
                return [
                    [0xEF, 0xBB, 0xBF] + Array(seed.utf8),
                    units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
                    [0xFE, 0xFF] + units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] },
                    scalars.flatMap { v in (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } },
                    Array(seed.utf8).map { $0 >= 0x80 ? 0xE9 : $0 },
                ].randomElement(using: &random)!
            case 4:  // an extreme number where a number (or a string) goes
                let value = ExtremeNumbers.json.randomElement(using: &random)!
                return Array([#"{"text":"go","deadline_ms":\#(value)}"#, #"{"id":\#(value),"text":"go"}"#, #"{"text":\#(value)}"#,
                              #"{"cancel":\#(value)}"#].randomElement(using: &random)!.utf8)
            case 5:  // long strings
                let length = [200, 1001, 5000, 17_000].randomElement(using: &random)!
                let long = String(repeating: ["x", "é", "\\u00e9", "🤖"].randomElement(using: &random)!, count: length)
                return Array([#"{"text":"\#(long)"}"#, #"{"id":"\#(long)","text":"go"}"#, #"{"text":"go","\#(long)":1}"#]
                    .randomElement(using: &random)!.utf8)
            case 6:  // a key twice, at some depth
                let depth = Int.random(in: 0...3, using: &random)
                let inner = #"{"k":1,"k":2}"#
                let nested = (0..<depth).reduce(inner) { body, _ in #"{"a":[\#(body)]}"# }
                return Array(#"{"text":"go","deadline_ms":\#(nested)}"#.utf8)
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
        // Accepted cancels (a fuzzed command's id cancelled by a later body) are counted apart.
        #expect(statistics.rejected.values.reduce(0, +) + statistics.accepted + statistics.cancelled == UInt64(bodies.count + 5 + 1))
        try await running.stop()
    }

    @Test("The request parser gives every input a verdict, and accepted requests survive re-encoding")
    func parserFuzz() throws {
        var random = SplitMix64(seed: 42)
        var accepted = 0, rejected: [RejectionReason: Int] = [:]
        let bodies = Self.garbage(&random, count: 20_000)
        for body in bodies {
            switch CommandRequest.parse(body, limits: CommandLimits()) {
            case .success(let request):
                accepted += 1
                #expect(try CommandRequest.parse(ProtocolJSON.encode(request), limits: CommandLimits()).get() == request)
            case .failure(let rejection):
                rejected[rejection.reason, default: 0] += 1
                #expect(!rejection.detail.isEmpty)
            }
        }
        print("command body fuzz: seed 42, \(bodies.count) bodies parsed, \(accepted) accepted, rejected \(rejected.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))")
    }
}
