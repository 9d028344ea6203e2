import CZeroMQ
import Glibc

/// A libzmq context. Thread-safe (libzmq contexts are); terminated when the
/// last socket that uses it is gone, since every socket keeps its context alive.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        // All sockets are closed by now (each holds a reference); retry on EINTR only.
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    /// Whether this libzmq was built with CURVE security.
    public static var hasCurve: Bool { zmq_has("curve") == 1 }

    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
