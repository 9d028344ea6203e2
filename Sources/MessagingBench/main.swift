// Messaging benchmark: command round trip, a pipelined command flood, and
// publishing with one stalled and one reading subscriber. Loopback TCP.
//   swift run -c release messaging-bench
import Foundation
import Messaging
import SightlineProtocol

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

func milliseconds(since start: UInt64) -> Double { Double(Clocks.monotonicNs() - start) / 1e6 }

let context = try ZMQContext()
var configuration = CommandServerConfiguration()
configuration.endpoint = "tcp://127.0.0.1:*"
configuration.ratePerSecond = 1e9
configuration.burst = 1e9
configuration.queueCapacity = 1_000_000
configuration.recentIDCapacity = 1_000_000
let server = try CommandServer(context: context, configuration: configuration)
server.start()
// Consume accepted commands like a scheduler would, so the queue never fills.
let consumer = Task { for await command in server.commands { server.commandFinished(command.id) } }

let client = try ZMQSocket(context, .dealer)
try client.connect(server.endpoint)
let request = try ProtocolJSON.encode(CommandRequest.command(id: nil, text: "pick up the red cup", deadlineMs: 1000))

// 1. Sequential round trips.
var roundTrips: [Double] = []
for _ in 0..<2000 {
    let start = Clocks.monotonicNs()
    try client.send([request])
    guard try client.receive(timeoutMs: 5000) != nil else { fatalError("no reply") }
    roundTrips.append(milliseconds(since: start))
}
roundTrips.sort()
print(String(format: "command round trip (2000 sequential, accepted): p50 %.3f ms  p99 %.3f ms  max %.3f ms",
             percentile(roundTrips, 0.5), percentile(roundTrips, 0.99), roundTrips.last!))

// 2. A pipelined flood, in windows of 500 (under the default high-water mark of 1000, so
// no reply is lost to this client not reading while it sends).
let flood = 20_000, window = 500
let floodStart = Clocks.monotonicNs()
var replies = 0
for batch in 0..<(flood / window) {
    for index in 0..<window {
        // Every other request is garbage, so the rejection path is measured too.
        try client.send([(batch * window + index).isMultiple(of: 2) ? request : Array("not json".utf8)])
    }
    for _ in 0..<window where try client.receive(timeoutMs: 10_000) != nil { replies += 1 }
}
let floodSeconds = milliseconds(since: floodStart) / 1000
print(String(format: "command flood: %d requests (half invalid) answered in %.2f s = %.0f requests/s; %d replies",
             flood, floodSeconds, Double(flood) / floodSeconds, replies))
server.shutdown()
try await server.run()
consumer.cancel()

// 3. Publishing with a stalled and a reading subscriber.
var publisherConfiguration = PublisherConfiguration()
publisherConfiguration.endpoint = "tcp://127.0.0.1:*"
let publisher = try Publisher(context: context, configuration: publisherConfiguration)
let stalled = try ZMQSocket(context, .sub)
try stalled.setHighWaterMarks(receive: 1)
try stalled.subscribe("")
try stalled.connect(publisher.endpoint)
let reader = try ZMQSocket(context, .sub)
try reader.setHighWaterMarks(receive: 100_000)
try reader.subscribe("")
try reader.connect(publisher.endpoint)
while publisher.statistics().subscriptions < 2 { usleep(1000) }
// A scene message with a 200-label vocabulary (about 6 KB).
let scores = Dictionary(uniqueKeysWithValues: (0..<200).map { ("object label number \($0)", 1.0 / 200) })
let payload = try ProtocolJSON.encode(SceneMessage(
    frame: FrameStamp(seq: 1, capturedRealtimeNs: Clocks.realtimeNs(), capturedMonotonicNs: Clocks.monotonicNs()),
    scores: scores, latencyMs: 55.5))
let messages = 30_000
let readerThread = Thread {
    var got = 0
    while got < messages, (try? reader.receive(timeoutMs: 2000)) != nil { got += 1 }
    print("reading subscriber received \(got) of \(messages)")
}
readerThread.start()
var publishTimes: [Double] = []
let publishStart = Clocks.monotonicNs()
for index in 0..<messages {
    let start = Clocks.monotonicNs()
    try publisher.publish(topic: "scene", payload: payload)
    publishTimes.append(milliseconds(since: start))
    // 10 kHz, far above the node's real rate, so the stalled subscriber fills quickly.
    if index.isMultiple(of: 10) { usleep(1000) }
}
let publishSeconds = milliseconds(since: publishStart) / 1000
while !readerThread.isFinished { usleep(1000) }
publishTimes.sort()
let statistics = publisher.statistics()
print(String(format: "publish (%d B scene, %d messages in %.2f s): p50 %.4f ms  p99 %.4f ms  max %.3f ms; subscriber found full %llu times (publisher drops)",
             payload.count, messages, publishSeconds, percentile(publishTimes, 0.5), percentile(publishTimes, 0.99),
             publishTimes.last!, statistics.drops))
publisher.close()
