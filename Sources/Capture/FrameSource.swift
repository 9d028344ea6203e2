/// Anything that produces frames: a V4L2 camera or a replayed recording.
///
/// `nextFrame()` blocks (it waits on the camera or sleeps to keep replay
/// timing), so it must run on a dedicated thread, never on Swift's
/// cooperative pool. `stop()`, `health` and `statistics` are safe to call
/// from any thread.
public protocol FrameSource: AnyObject, Sendable {
    var sourceID: String { get }
    /// The next frame, or nil once the source has ended or was stopped.
    func nextFrame() throws -> Frame?
    /// Makes a blocked or future `nextFrame()` return nil promptly.
    func stop()
    var health: SourceHealth { get }
    var statistics: SourceStatistics { get }
}

public enum SourceHealth: Sendable, Equatable, CustomStringConvertible {
    case starting
    case streaming
    /// The camera went away (unplugged, I/O error, no frames); the source is reopening it.
    case disconnected(reason: String)
    /// A finite source (a recording) delivered its last frame.
    case ended
    case stopped

    /// One word for status messages and metrics.
    public var name: String {
        switch self {
        case .starting: "starting"
        case .streaming: "streaming"
        case .disconnected: "disconnected"
        case .ended: "ended"
        case .stopped: "stopped"
        }
    }

    public var description: String {
        if case .disconnected(let reason) = self { return "disconnected (\(reason))" }
        return name
    }
}

/// A reason something was refused, as one readable line.
public struct Rejection: Error, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public init(stringLiteral value: String) { self.reason = value }
    public var description: String { reason }
}

public struct SourceStatistics: Sendable, Equatable {
    /// Frames handed to the consumer.
    public var delivered: UInt64 = 0
    /// Older frames discarded so the consumer only sees the newest (latest-frame semantics),
    /// plus frames the driver itself dropped (gaps in its sequence numbers).
    public var dropped: UInt64 = 0
    /// Corrupt, truncated or unreadable frames that were skipped.
    public var skipped: UInt64 = 0
    /// Successful reopenings after a disconnect.
    public var reconnects: UInt64 = 0

    public init() {}
}
