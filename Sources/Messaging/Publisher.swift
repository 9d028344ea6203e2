import CZeroMQ
import Glibc
public import SightlineProtocol
import Synchronization

public struct PublisherConfiguration: Sendable {
    public var endpoint = "tcp://*:5561"
    /// Messages queued per subscriber before that subscriber starts missing messages.
    public var sendHighWaterMark: Int32 = 100
    /// Kernel send buffer per connection in bytes; nil keeps the OS default.
    public var kernelSendBufferBytes: Int32?
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
