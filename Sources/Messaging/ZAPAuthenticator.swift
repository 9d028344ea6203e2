import CZeroMQ
import Foundation
import Synchronization

/// The ZAP handler (RFC 27) of one context: a REP socket on
/// inproc://zeromq.zap.01, served on a dedicated thread, that lets a CURVE
/// client in only when its public key is on the allow-list. Everything else
/// (unknown keys, other mechanisms) is refused with status 400, so the client's
/// handshake fails and it never gets to send a message.
///
/// It must exist before any CURVE server socket of the context binds: libzmq
/// lets every CURVE client in when no handler is bound. `CurveServerOptions`
/// requires one for that reason.
public final class ZAPAuthenticator: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private let allowed: Mutex<Set<String>>
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let counts = Mutex<(allowed: UInt64, denied: UInt64)>((0, 0))

    /// Binds the handler socket now (so errors surface here) and starts serving.
    public init(context: ZMQContext, allowedKeys: Set<String>) throws(ZMQError) {
        allowed = Mutex(allowedKeys)
        let socket = try ZMQSocket(context, .rep)
        try socket.bind(Self.endpoint)
        let thread = Thread { [self] in
            serve(socket)
            socket.close()
            finished.signal()
        }
        thread.name = "sightline.zap"
        thread.start()
    }

    /// Replaces the allow-list (for a reload); later handshakes use the new one.
    public func setAllowedKeys(_ keys: Set<String>) {
        allowed.withLock { $0 = keys }
    }

    /// Handshakes allowed and denied so far.
    public var decisions: (allowed: UInt64, denied: UInt64) { counts.withLock { $0 } }

    /// Stops the handler thread and waits for it; idempotent.
    public func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        finished.wait()
    }

    private func serve(_ socket: ZMQSocket) {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            do {
                // The timeout bounds how long stop() waits.
                guard let request = try socket.receive(timeoutMs: 100) else { continue }
                try socket.send(reply(to: request.frames))
            } catch {
                // ETERM (context shutting down) or a broken socket: nothing more to serve.
                return
            }
        }
    }

    /// ZAP request: version, request id, domain, address, routing id, mechanism, credentials...
    /// Reply: version, request id, status code, status text, user id, metadata.
    private func reply(to frames: [[UInt8]]) -> [[UInt8]] {
        let requestID = frames.count > 1 ? frames[1] : []
        func answer(_ code: String, _ text: String, userID: String = "") -> [[UInt8]] {
            counts.withLock { code == "200" ? ($0.allowed += 1) : ($0.denied += 1) }
            return [Array("1.0".utf8), requestID, Array(code.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard frames.count >= 6, frames[0] == Array("1.0".utf8) else { return answer("400", "malformed ZAP request") }
        guard frames[5] == Array("CURVE".utf8), frames.count == 7, let key = CurveKeyPair.encode(frames[6]) else {
            return answer("400", "only CURVE clients are allowed")
        }
        guard allowed.withLock({ $0.contains(key) }) else { return answer("400", "key not allowed") }
        // The user id (the client's key) is attached to every message it sends.
        return answer("200", "OK", userID: key)
    }
}

/// What a socket needs to be a CURVE server: its key pair and the context's ZAP handler.
public struct CurveServerOptions: Sendable {
    public var keys: CurveKeyPair
    public var authenticator: ZAPAuthenticator

    public init(keys: CurveKeyPair, authenticator: ZAPAuthenticator) throws(CurveKeyError) {
        guard keys.secretKey != nil else { throw CurveKeyError("a CURVE server needs a secret key, got a public certificate") }
        self.keys = keys
        self.authenticator = authenticator
    }
}

/// What a socket needs to be a CURVE client: its own key pair and the server's public key.
public struct CurveClientOptions: Sendable {
    public var keys: CurveKeyPair
    public var serverPublicKey: String

    public init(keys: CurveKeyPair, serverPublicKey: String) throws(CurveKeyError) {
        guard keys.secretKey != nil else { throw CurveKeyError("a CURVE client needs its secret key, got a public certificate") }
        _ = try CurveKeyPair.decode(serverPublicKey, what: "server public key")
        self.keys = keys
        self.serverPublicKey = serverPublicKey
    }
}

extension ZMQSocket {
    /// Makes this socket a CURVE server authenticated through ZAP (call before bind).
    public func makeCurveServer(_ options: CurveServerOptions) throws {
        try setOption(ZMQ_CURVE_SERVER, 1, name: "ZMQ_CURVE_SERVER")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: CurveKeyPair.decode(options.keys.secretKey ?? "", what: "secret key"), name: "ZMQ_CURVE_SECRETKEY")
        try setOption(ZMQ_ZAP_DOMAIN, bytes: Array("sightline".utf8), name: "ZMQ_ZAP_DOMAIN")
    }

    /// Makes this socket a CURVE client of the server with that public key (call before connect).
    public func makeCurveClient(_ options: CurveClientOptions) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: CurveKeyPair.decode(options.serverPublicKey, what: "server public key"), name: "ZMQ_CURVE_SERVERKEY")
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: CurveKeyPair.decode(options.keys.publicKey, what: "public key"), name: "ZMQ_CURVE_PUBLICKEY")
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: CurveKeyPair.decode(options.keys.secretKey ?? "", what: "secret key"), name: "ZMQ_CURVE_SECRETKEY")
    }
}
