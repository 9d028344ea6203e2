import CZeroMQ
import Glibc
public import SightlineProtocol
import Synchronization

/// How much a subscriber that falls behind can have queued is what bounds the
/// age of what it reads next: every queued message is older than the newest.
/// So both queues on the node's side are small: libzmq's per-subscriber queue
/// (`sendHighWaterMark`) and the kernel's per-connection send buffer, which
/// Linux would otherwise grow to megabytes (TCP autotuning). A subscriber bounds
/// its own side with ZMQ_RCVHWM and ZMQ_RCVBUF (docs/protocol.md, "Slow subscribers").
public struct PublisherConfiguration: Sendable {
    public var endpoint = "tcp://*:5561"
    /// Messages queued per subscriber before that subscriber starts missing
    /// messages. 16 is about two seconds of the node's traffic (intents at
    /// `ground_hz` for each active intent, scene at `publish_hz`, status at 1 Hz)
    /// and more than one ground pass publishes at once, so a subscriber that
    /// keeps up never loses one.
    public var sendHighWaterMark: Int32 = 16
    /// Kernel send buffer per connection in bytes (ZMQ_SNDBUF; Linux doubles it
    /// for its bookkeeping); nil keeps the OS default, which autotunes up to
    /// several megabytes. 16 KiB holds a few seconds of the node's traffic and
    /// still carries it over a 100 ms round trip (about 160 KB/s).
    public var kernelSendBufferBytes: Int32? = 16 * 1024
    /// How long closing waits to deliver the last messages (the final status).
    public var closeLingerMs: Int32 = 500
    public var curve: CurveServerOptions?

    public init() {}
}

/// The publish socket: multipart `[topic, json]`, callable from any thread,
/// never blocking, and counting what slow subscribers miss.
///
/// How drops are counted. A plain PUB socket drops silently for a subscriber at
/// its high-water mark, so it cannot count. This is an XPUB with
/// ZMQ_XPUB_NODROP, sent with ZMQ_DONTWAIT: if any matching subscriber is at
/// its mark the send fails with EAGAIN, the drop is counted, and the same
/// message is sent again with NODROP switched off, which delivers it to every
/// subscriber that has room and skips only the full ones. So a slow subscriber
/// costs itself messages, never the others, and never blocks the node.
///
/// What the count means: libzmq then stops writing to that subscriber until it
/// has read its queue down to the low-water mark (half the high-water mark),
/// and the messages it misses meanwhile are skipped inside libzmq without any
/// signal. So `drops` counts the times a subscriber was found full (each is at
/// least one missed message): zero means nobody missed anything, and a rising
/// count means some subscriber is too slow. It is a lower bound on the number
/// of messages missed, not the number itself; libzmq exposes no per-subscriber
/// count. Subscribers can count their own gaps from `frame.seq`.
///
/// Which messages a full subscriber loses: the new ones. What it had queued
/// stays queued and is delivered, oldest first, when it reads again; then it
/// gets new messages as they are published. So after a stall it first reads up
/// to a bounded number of stale messages (see `PublisherConfiguration`), and a
/// reader of intents must drop those past `valid_until_realtime_ns`.
public final class Publisher: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var published: UInt64 = 0
        /// Times a subscriber was found at its high-water mark; each cost it at
        /// least one message (a lower bound on missed messages, see the type's comment).
        public var drops: UInt64 = 0
        /// Current subscriptions (one per subscriber and topic prefix).
        public var subscriptions = 0
    }

    /// The endpoint actually bound (with the port chosen for `tcp://host:*`).
    public let endpoint: String
    private let closeLingerMs: Int32
    private let state: Mutex<State>

    private struct State {
        var socket: ZMQSocket?
        var statistics = Statistics()
    }

    public init(context: ZMQContext, configuration: PublisherConfiguration = .init()) throws {
        let socket = try ZMQSocket(context, .xpub)
        try socket.setHighWaterMarks(send: configuration.sendHighWaterMark)
        if let bytes = configuration.kernelSendBufferBytes { try socket.setKernelBuffers(send: bytes) }
        try socket.setOption(ZMQ_XPUB_NODROP, 1, name: "ZMQ_XPUB_NODROP")
        // Every subscribe and unsubscribe comes up, so `subscriptions` is exact.
        try socket.setOption(ZMQ_XPUB_VERBOSER, 1, name: "ZMQ_XPUB_VERBOSER")
        if let curve = configuration.curve { try socket.makeCurveServer(curve) }
        endpoint = try socket.bind(configuration.endpoint)
        closeLingerMs = configuration.closeLingerMs
        state = Mutex(State(socket: socket))
    }

    /// Publishes `message` as JSON on `topic`. Returns false when a subscriber
    /// was found full and missed it (counted in `drops`).
    @discardableResult
    public func publish(_ topic: Topic, _ message: some Encodable) throws -> Bool {
        try publish(topic: topic.rawValue, payload: ProtocolJSON.encode(message))
    }

    @discardableResult
    public func publish(topic: String, payload: [UInt8]) throws(ZMQError) -> Bool {
        try state.withLock { (state) throws(ZMQError) -> Bool in
            guard let socket = state.socket else { throw ZMQError("publish (publisher closed)", code: ENOTSOCK) }
            try drainSubscriptions(socket, into: &state.statistics)
            let frames = [Array(topic.utf8), payload]
            state.statistics.published += 1
            if try socket.send(frames, dontWait: true) { return true }
            // Some subscriber is full: deliver to the others, skip it, count it.
            state.statistics.drops += 1
            try socket.setOption(ZMQ_XPUB_NODROP, 0, name: "ZMQ_XPUB_NODROP")
            defer { try? socket.setOption(ZMQ_XPUB_NODROP, 1, name: "ZMQ_XPUB_NODROP") }
            try socket.send(frames, dontWait: true)
            return false
        }
    }

    public func statistics() -> Statistics {
        state.withLock { state in
            if let socket = state.socket { try? drainSubscriptions(socket, into: &state.statistics) }
            return state.statistics
        }
    }

    /// Closes the socket, waiting up to the configured linger for queued messages.
    public func close() {
        state.withLock { state in
            state.socket?.close(lingerMs: closeLingerMs)
            state.socket = nil
        }
    }

    /// XPUB hands subscription messages up (first byte 1 subscribe, 0 unsubscribe);
    /// they must be read or they pile up.
    private func drainSubscriptions(_ socket: ZMQSocket, into statistics: inout Statistics) throws(ZMQError) {
        while let message = try socket.receive(dontWait: true, maxFrames: 1) {
            switch message.frames.first?.first {
            case 1: statistics.subscriptions += 1
            case 0: statistics.subscriptions = max(0, statistics.subscriptions - 1)
            default: break
            }
        }
    }
}
