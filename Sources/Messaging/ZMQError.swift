import CZeroMQ

/// A failed libzmq call: which operation, errno as zmq_errno() gave it and
/// zmq_strerror()'s text.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public var message: String { String(cString: zmq_strerror(code)) }
    public var description: String { "\(operation): \(message)" }

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// The error of the libzmq call that just failed.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(operation, code: zmq_errno())
    }
}

/// Checks a libzmq return code: -1 is a failure, reported with zmq_errno().
@discardableResult
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(ZMQError) -> Int32 {
    if rc == -1 { throw ZMQError.last(operation()) }
    return rc
}
