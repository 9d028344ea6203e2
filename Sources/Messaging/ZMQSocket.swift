import CZeroMQ
import Glibc

/// One libzmq socket. libzmq sockets are not thread-safe: a socket is used by
/// one thread at a time (the thread that runs its loop, or under a lock), which
/// is why it is `@unchecked Sendable` only so it can be handed to that thread.
public final class ZMQSocket: @unchecked Sendable {
    public enum Kind: Sendable {
        case req, rep, dealer, router, pub, sub, xpub, xsub, pair

        var rawValue: Int32 {
            switch self {
            case .req: ZMQ_REQ
            case .rep: ZMQ_REP
            case .dealer: ZMQ_DEALER
            case .router: ZMQ_ROUTER
            case .pub: ZMQ_PUB
            case .sub: ZMQ_SUB
            case .xpub: ZMQ_XPUB
            case .xsub: ZMQ_XSUB
            case .pair: ZMQ_PAIR
            }
        }
    }

    /// A received multipart message and the ZAP user id of the peer that sent it
    /// (the client's Z85 public key under CURVE; nil without authentication).
    public struct Message: Sendable {
        /// The frames, at most the `maxFrames` the receive asked for.
        public var frames: [[UInt8]]
        /// How many frames the message really had (more than `frames.count` when capped).
        public var frameCount: Int
        public var userID: String?
    }

    let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket with linger 0, so that closing never waits for unsent
    /// messages unless `close(lingerMs:)` says so.
    public init(_ context: ZMQContext, _ kind: Kind) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else { throw ZMQError.last("zmq_socket") }
        self.context = context
        self.handle = handle
        try setOption(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
    }

    deinit { close() }

    private func socket(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        guard let handle else { throw ZMQError(operation, code: ENOTSOCK) }
        return handle
    }

    /// Closes the socket, keeping unsent messages for up to `lingerMs` (0: drop them now).
    public func close(lingerMs: Int32 = 0) {
        guard let handle else { return }
        var linger = lingerMs
        // Failure to set linger only changes how long close waits; close anyway.
        _ = zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        _ = zmq_close(handle)  // fails only for an invalid socket, which this is not
        self.handle = nil
    }

    // MARK: Options

    public func setOption(_ option: Int32, _ value: Int32, name: String) throws(ZMQError) {
        var value = value
        try check(zmq_setsockopt(try socket("setsockopt"), option, &value, MemoryLayout<Int32>.size), "zmq_setsockopt(\(name))")
    }

    public func setInt64Option(_ option: Int32, _ value: Int64, name: String) throws(ZMQError) {
        var value = value
        try check(zmq_setsockopt(try socket("setsockopt"), option, &value, MemoryLayout<Int64>.size), "zmq_setsockopt(\(name))")
    }

    public func setOption(_ option: Int32, bytes: [UInt8], name: String) throws(ZMQError) {
        let handle = try socket("setsockopt")
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        try check(rc, "zmq_setsockopt(\(name))")
    }

    public func stringOption(_ option: Int32, name: String) throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        try check(zmq_getsockopt(try socket("getsockopt"), option, &buffer, &size), "zmq_getsockopt(\(name))")
        return string(fromCString: buffer)
    }

    /// Send and receive high-water marks, in messages.
    public func setHighWaterMarks(send: Int32? = nil, receive: Int32? = nil) throws(ZMQError) {
        if let send { try setOption(ZMQ_SNDHWM, send, name: "ZMQ_SNDHWM") }
        if let receive { try setOption(ZMQ_RCVHWM, receive, name: "ZMQ_RCVHWM") }
    }

    /// Kernel socket buffer sizes in bytes (0 keeps the OS default).
    public func setKernelBuffers(send: Int32? = nil, receive: Int32? = nil) throws(ZMQError) {
        if let send { try setOption(ZMQ_SNDBUF, send, name: "ZMQ_SNDBUF") }
        if let receive { try setOption(ZMQ_RCVBUF, receive, name: "ZMQ_RCVBUF") }
    }

    public func subscribe(_ prefix: String) throws(ZMQError) {
        try setOption(ZMQ_SUBSCRIBE, bytes: Array(prefix.utf8), name: "ZMQ_SUBSCRIBE")
    }

    // MARK: Endpoints

    /// Binds and returns the endpoint actually bound (the port chosen for `tcp://host:*`).
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        try check(zmq_bind(try socket("zmq_bind"), endpoint), "bind \(endpoint)")
        return try stringOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT")
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        try check(zmq_connect(try socket("zmq_connect"), endpoint), "connect \(endpoint)")
    }

    // MARK: Messages

    /// Sends all frames as one multipart message. With `dontWait`, returns false
    /// instead of blocking when the message cannot be queued now (EAGAIN).
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = try socket("zmq_send")
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
                if rc != -1 { break }
                let code = zmq_errno()
                if code == EINTR { continue }
                // Only the first frame can meet EAGAIN: once it is queued, libzmq
                // queues the rest of the message atomically.
                if code == EAGAIN && index == 0 { return false }
                throw ZMQError("zmq_send", code: code)
            }
        }
        return true
    }

    /// Receives one multipart message; nil when `dontWait` and nothing is waiting.
    /// Frames beyond `maxFrames` are read and discarded (only counted), so a
    /// peer cannot make us hold a million tiny frames.
    public func receive(dontWait: Bool = false, maxFrames: Int = .max) throws(ZMQError) -> Message? {
        let handle = try socket("zmq_msg_recv")
        var frames: [[UInt8]] = []
        var frameCount = 0
        var userID: String?
        var more = true
        while more {
            var message = zmq_msg_t()
            try check(zmq_msg_init(&message), "zmq_msg_init")
            defer { zmq_msg_close(&message) }
            // Later frames of a message are already here; only the first may wait.
            let flags: Int32 = dontWait && frameCount == 0 ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, handle, flags) == -1 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN && frameCount == 0 { return nil }
                throw ZMQError("zmq_msg_recv", code: code)
            }
            frameCount += 1
            let size = zmq_msg_size(&message)
            if frames.count < maxFrames {
                if let data = zmq_msg_data(&message), size > 0 {
                    frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
                } else {
                    frames.append([])
                }
            }
            // Metadata rides on frames that came over the wire, not on the routing
            // id a ROUTER prepends, so any frame may carry it.
            if userID == nil, let property = zmq_msg_gets(&message, "User-Id") {
                userID = String(cString: property)
            }
            more = zmq_msg_more(&message) == 1
        }
        return Message(frames: frames, frameCount: frameCount, userID: userID)
    }

    /// Waits up to `timeoutMs` (-1: forever) for a message to read.
    public func waitReadable(timeoutMs: Int) throws(ZMQError) -> Bool {
        var item = zmq_pollitem_t(socket: try socket("zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        while true {
            let rc = zmq_poll(&item, 1, timeoutMs)
            if rc >= 0 { return rc > 0 }
            if zmq_errno() != EINTR { throw ZMQError.last("zmq_poll") }
        }
    }

    /// Receives one message, waiting at most `timeoutMs`; nil on timeout.
    public func receive(timeoutMs: Int, maxFrames: Int = .max) throws(ZMQError) -> Message? {
        guard try waitReadable(timeoutMs: timeoutMs) else { return nil }
        return try receive(dontWait: true, maxFrames: maxFrames)
    }

    /// The raw handle, for the monitor and poller in this module.
    func rawHandle(_ operation: String) throws(ZMQError) -> UnsafeMutableRawPointer {
        try socket(operation)
    }
}

/// The text of a NUL-terminated C character buffer.
func string(fromCString buffer: [CChar]) -> String {
    String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension ZMQSocket {
    /// Waits up to `timeoutMs` (-1: forever) until any of `sockets` has a message
    /// to read; returns one flag per socket. For a thread that serves several sockets.
    public static func pollReadable(_ sockets: [ZMQSocket], timeoutMs: Int) throws(ZMQError) -> [Bool] {
        var items: [zmq_pollitem_t] = []
        for socket in sockets {
            items.append(zmq_pollitem_t(socket: try socket.rawHandle("zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        }
        while zmq_poll(&items, Int32(items.count), timeoutMs) == -1 {
            if zmq_errno() != EINTR { throw ZMQError.last("zmq_poll") }
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
