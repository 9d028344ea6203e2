import CZeroMQ
import Foundation

/// Watches a client socket's connection so a command-line client can tell
/// "connected" from "refused": libzmq otherwise retries silently forever, and
/// a rejected CURVE key looks exactly like a server that is not there.
public final class HandshakeMonitor {
    public enum Outcome: Sendable, Equatable {
        case succeeded
        /// The server refused our credentials (ZAP said no, or wrong server key).
        case refused
        /// The peer spoke, but not a compatible ZMTP/CURVE handshake.
        case protocolError
        case timedOut
    }

    private let pair: ZMQSocket
    private static let counter = NSLock()
    nonisolated(unsafe) private static var next = 0

    /// Start monitoring before `socket.connect`.
    public init(_ socket: ZMQSocket) throws(ZMQError) {
        let address = Self.counter.withLock { () -> String in
            Self.next += 1
            return "inproc://sightline.monitor.\(ObjectIdentifier(socket).hashValue).\(Self.next)"
        }
        let events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        try check(zmq_socket_monitor(try socket.rawHandle("zmq_socket_monitor"), address, events), "zmq_socket_monitor")
        pair = try ZMQSocket(socket.context, .pair)
        try pair.connect(address)
    }

    /// The first handshake outcome within `timeoutMs`.
    public func wait(timeoutMs: Int) throws(ZMQError) -> Outcome {
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            let remaining = Int(deadline.timeIntervalSinceNow * 1000)
            guard remaining > 0, let event = try pair.receive(timeoutMs: remaining) else { return .timedOut }
            // First frame: 16-bit event number, 32-bit value (little-endian on this platform).
            guard let first = event.frames.first, first.count >= 2 else { continue }
            let number = Int32(first[0]) | Int32(first[1]) << 8
            switch number {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return .succeeded
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return .refused
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return .protocolError
            default: continue
            }
        }
    }
}
