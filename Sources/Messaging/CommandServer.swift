import CZeroMQ
import Foundation
public import SightlineProtocol
import Synchronization

/// A command the server accepted, on its way to the scheduler.
public struct AcceptedCommand: Sendable, Equatable {
    /// The client's id, or one the server generated.
    public var id: String
    public var text: String
    /// The client's deadline, relative to `receivedMonotonicNs`.
    public var deadlineMs: Int?
    public var receivedRealtimeNs: UInt64
    public var receivedMonotonicNs: UInt64
    /// Who sent it: `curve:<Z85 public key>` under CURVE, else `peer:<hex routing id>`.
    public var client: String
    /// Acceptance order, from 1, over ordinary and urgent commands together: a command with a lower
    /// sequence was answered `accepted` before one with a higher sequence. The node orders "stop"
    /// against everything else by it, whichever stream delivers first.
    public var sequence: UInt64

    public init(id: String, text: String, deadlineMs: Int? = nil, receivedRealtimeNs: UInt64, receivedMonotonicNs: UInt64,
                client: String, sequence: UInt64) {
        self.id = id
        self.text = text
        self.deadlineMs = deadlineMs
        self.receivedRealtimeNs = receivedRealtimeNs
        self.receivedMonotonicNs = receivedMonotonicNs
        self.client = client
        self.sequence = sequence
    }
}

/// A cancel request for an active command (one not yet reported finished).
public struct CommandCancellation: Sendable, Equatable {
    public var id: String
    public var client: String
    public var receivedMonotonicNs: UInt64

    public init(id: String, client: String, receivedMonotonicNs: UInt64) {
        self.id = id
        self.client = client
        self.receivedMonotonicNs = receivedMonotonicNs
    }
}

public struct CommandServerConfiguration: Sendable {
    public var endpoint = "tcp://*:5560"
    public var limits = CommandLimits()
    /// Accepted commands waiting for the scheduler; one more is answered `busy`.
    public var queueCapacity = 8
    /// Per-client token bucket: sustained requests per second and burst size.
    public var ratePerSecond = 5.0
    public var burst = 10.0
    /// How many recent command ids are remembered for `duplicate_id`.
    public var recentIDCapacity = 4096
    /// Frames larger than this are not even read: libzmq drops the connection
    /// (ZMQ_MAXMSGSIZE). Between `limits.maxMessageBytes` and this, the answer is `too_large`.
    public var connectionFrameLimitBytes: Int64 = 1 << 20
    /// How long closing waits to deliver the last replies.
    public var closeLingerMs: Int32 = 500
    public var curve: CurveServerOptions?
    /// Commands this says yes to (the node's "stop") skip the rate limit, load shedding and the
    /// command queue, and arrive on `urgentCommands`: stopping the robot is never `busy`.
    public var isUrgent: (@Sendable (String) -> Bool)?

    public init() {}
}

/// The command socket: a ROUTER that answers every request at once, accepted or
/// rejected with a reason, and hands accepted commands to the node through
/// `commands` (bounded by `queueCapacity`) and cancels through `cancellations`.
///
/// Life cycle: `init` binds (errors surface there); `run()` serves on a
/// dedicated thread until `shutdown()`, then answers what is still queued with
/// `busy`, finishes both streams and closes the socket with linger.
public final class CommandServer: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var accepted: UInt64 = 0
        public var cancelled: UInt64 = 0
        public var rejected: [RejectionReason: UInt64] = [:]
        /// Replies that could not be delivered: the client was gone (EHOSTUNREACH
        /// with ZMQ_ROUTER_MANDATORY) or its pipe was full.
        public var undeliveredReplies: UInt64 = 0
    }

    /// The endpoint actually bound (with the port chosen for `tcp://host:*`).
    public let endpoint: String
    /// Accepted commands in arrival order; `commands.count` is the queue depth.
    public let commands: CountedStream<AcceptedCommand>
    public let cancellations: CountedStream<CommandCancellation>
    /// Accepted urgent commands (see `CommandServerConfiguration.isUrgent`).
    public let urgentCommands: CountedStream<AcceptedCommand>

    private let configuration: CommandServerConfiguration
    private let socket: Mutex<ZMQSocket?>
    private let stopping = Atomic<Bool>(false)
    private let shedding = Atomic<Bool>(false)
    private let state: Mutex<State>
    private let completion = Completion()

    private struct State {
        var recent: RecentIDs
        var buckets: [String: TokenBucket] = [:]
        var statistics = Statistics()
        /// The last acceptance sequence handed out (see `AcceptedCommand.sequence`).
        var sequence: UInt64 = 0
        let commandSink: AsyncStream<AcceptedCommand>.Continuation
        let cancelSink: AsyncStream<CommandCancellation>.Continuation
        let urgentSink: AsyncStream<AcceptedCommand>.Continuation
    }

    public init(context: ZMQContext, configuration: CommandServerConfiguration = .init()) throws {
        self.configuration = configuration
        let socket = try ZMQSocket(context, .router)
        // Replies to a vanished client fail loudly (EHOSTUNREACH, counted) instead of vanishing.
        try socket.setOption(ZMQ_ROUTER_MANDATORY, 1, name: "ZMQ_ROUTER_MANDATORY")
        try socket.setInt64Option(ZMQ_MAXMSGSIZE, configuration.connectionFrameLimitBytes, name: "ZMQ_MAXMSGSIZE")
        if let curve = configuration.curve { try socket.makeCurveServer(curve) }
        endpoint = try socket.bind(configuration.endpoint)
        self.socket = Mutex(socket)

        let (commands, commandSink) = AsyncStream.makeStream(
            of: AcceptedCommand.self, bufferingPolicy: .bufferingOldest(max(1, configuration.queueCapacity)))
        // Cancels are bounded by the number of active commands; the buffer only guards memory.
        let (cancellations, cancelSink) = AsyncStream.makeStream(
            of: CommandCancellation.self, bufferingPolicy: .bufferingOldest(1024))
        let (urgent, urgentSink) = AsyncStream.makeStream(of: AcceptedCommand.self, bufferingPolicy: .bufferingOldest(1024))
        self.commands = CountedStream(base: commands, depth: .init())
        self.cancellations = CountedStream(base: cancellations, depth: .init())
        self.urgentCommands = CountedStream(base: urgent, depth: .init())
        state = Mutex(State(recent: RecentIDs(capacity: configuration.recentIDCapacity),
                            commandSink: commandSink, cancelSink: cancelSink, urgentSink: urgentSink))
    }

    /// Starts serving on a dedicated thread, now: unlike `run()`, this does not
    /// wait for a cooperative-pool thread, so replies flow even when the pool is
    /// busy. Idempotent.
    public func start() {
        guard let socket = self.socket.withLock({ $0.take() }) else { return }
        let thread = Thread { [self] in
            let result = Result { try serve(socket) }
            state.withLock {
                $0.commandSink.finish()
                $0.cancelSink.finish()
                $0.urgentSink.finish()
            }
            socket.close(lingerMs: configuration.closeLingerMs)
            completion.finish(result)
        }
        thread.name = "sightline.commands"
        thread.start()
    }

    /// Serves until `shutdown()` (or until the calling task is cancelled, which
    /// shuts down), starting first if `start()` was not called. Throws what
    /// ended the loop, if it was an error.
    public func run() async throws {
        start()
        try await withTaskCancellationHandler {
            try await completion.wait()
        } onCancel: {
            shutdown()
        }
    }

    /// Stops intake: requests still queued are answered `busy`, then `run()` returns.
    public func shutdown() { stopping.store(true, ordering: .sequentiallyConsistent) }

    /// While on, every new command is answered `busy` (the scheduler's last shedding step).
    public func setShedding(_ on: Bool) { shedding.store(on, ordering: .sequentiallyConsistent) }

    /// The node is done with a command (intent published, cancelled, failed):
    /// a cancel for it is now `unknown_id`. Its id still counts for `duplicate_id`.
    public func commandFinished(_ id: String) { state.withLock { $0.recent.finish(id) } }

    public func statistics() -> Statistics { state.withLock { $0.statistics } }

    // MARK: The loop (dedicated thread)

    private func serve(_ socket: ZMQSocket) throws {
        // A REQ/DEALER envelope is at most routing id, delimiter, body; a few more
        // frames are kept only so the rejection can say how many there were.
        while !stopping.load(ordering: .sequentiallyConsistent) {
            guard let message = try socket.receive(timeoutMs: 100, maxFrames: 4) else { continue }
            answer(message, on: socket, closing: false)
        }
        // Requests already on their way when intake stopped get `busy`, not silence: keep answering
        // until the socket has been quiet for a moment (bounded, so a flood cannot hold shutdown).
        let giveUpNs = Clocks.monotonicNs() + 500_000_000
        while Clocks.monotonicNs() < giveUpNs, let message = try socket.receive(timeoutMs: 50, maxFrames: 4) {
            answer(message, on: socket, closing: true)
        }
    }

    private func answer(_ message: ZMQSocket.Message, on socket: ZMQSocket, closing: Bool) {
        guard let routingID = message.frames.first else { return }  // ROUTER always prepends one
        // REQ (and DEALERs that mimic it) put an empty delimiter frame before the body.
        let afterRouting = message.frameCount - 1
        let delimited = afterRouting >= 2 && message.frames.count > 1 && message.frames[1].isEmpty
        let envelope: [[UInt8]] = delimited ? [routingID, []] : [routingID]
        let bodyCount = afterRouting - (delimited ? 1 : 0)
        let client = message.userID.map { "curve:\($0)" } ?? "peer:" + routingID.map { String(format: "%02x", $0) }.joined()

        let reply: CommandReply
        if closing {
            reply = .rejected(nil, .busy, "the node is shutting down")
        } else if bodyCount != 1 {
            reply = .rejected(nil, .invalidRequest, "expected one body frame after the envelope, got \(bodyCount)")
        } else {
            reply = decide(message.frames[envelope.count], client: client)
        }
        state.withLock { state in
            if reply.status == .rejected, let reason = reply.reason { state.statistics.rejected[reason, default: 0] += 1 }
        }
        let encoded = (try? ProtocolJSON.encode(reply)) ?? Array(#"{"schema":"sightline.reply/1","id":null,"status":"rejected","reason":"invalid_request"}"#.utf8)
        let delivered = (try? socket.send(envelope + [encoded], dontWait: true)) ?? false
        if !delivered { state.withLock { $0.statistics.undeliveredReplies += 1 } }
    }

    private func decide(_ body: [UInt8], client: String) -> CommandReply {
        let now = Clocks.monotonicNs()
        let withinRate = takeToken(client, nowNs: now)
        let request: CommandRequest
        switch CommandRequest.parse(body, limits: configuration.limits) {
        case .failure(let rejection): return .rejected(rejection.id, rejection.reason, rejection.detail)
        case .success(let parsed): request = parsed
        }
        switch request {
        case .command(let id, let text, let deadlineMs):
            let command = AcceptedCommand(
                id: id ?? "cmd-" + UUID().uuidString.lowercased(), text: text, deadlineMs: deadlineMs,
                receivedRealtimeNs: Clocks.realtimeNs(), receivedMonotonicNs: now, client: client, sequence: 0)
            if configuration.isUrgent?(text) == true { return admitUrgent(command) }
            guard withinRate else { return rateLimited(id) }
            return admit(command)
        case .cancel(let id):
            guard withinRate else { return rateLimited(id) }
            return state.withLock { state in
                guard state.recent.isActive(id) else {
                    return .rejected(id, .unknownID, "no active command has id \"\(id)\"")
                }
                cancellations.depth.value.add(1, ordering: .relaxed)
                let result = state.cancelSink.yield(CommandCancellation(id: id, client: client, receivedMonotonicNs: now))
                if case .enqueued = result {} else { cancellations.depth.value.subtract(1, ordering: .relaxed) }
                switch result {
                case .enqueued:
                    state.statistics.cancelled += 1
                    return .accepted(id)
                case .dropped: return .rejected(id, .busy, "too many cancels waiting")
                case .terminated: return .rejected(id, .busy, "the node is shutting down")
                @unknown default: return .rejected(id, .busy, "cancel queue unavailable")
                }
            }
        }
    }

    private func rateLimited(_ id: String?) -> CommandReply {
        .rejected(id, .rateLimited, "more than \(configuration.ratePerSecond) requests/s (burst \(Int(configuration.burst))) from this client")
    }

    private func admitUrgent(_ command: AcceptedCommand) -> CommandReply {
        state.withLock { state in
            if state.recent.contains(command.id) {
                return .rejected(command.id, .duplicateID, "a command with id \"\(command.id)\" was already accepted")
            }
            // Numbered under the same lock as every other acceptance, on the one thread that replies.
            var command = command
            command.sequence = state.sequence + 1
            guard case .enqueued = state.urgentSink.yield(command) else {
                return .rejected(command.id, .busy, "the node is shutting down")
            }
            state.sequence = command.sequence
            state.recent.insert(command.id)
            state.statistics.accepted += 1
            return .accepted(command.id)
        }
    }

    private func admit(_ command: AcceptedCommand) -> CommandReply {
        if shedding.load(ordering: .sequentiallyConsistent) {
            return .rejected(command.id, .busy, "the node is shedding load")
        }
        return state.withLock { state in
            if state.recent.contains(command.id) {
                return .rejected(command.id, .duplicateID, "a command with id \"\(command.id)\" was already accepted")
            }
            var command = command
            command.sequence = state.sequence + 1
            // Counted before the yield so a consumer that takes it at once never sees -1.
            commands.depth.value.add(1, ordering: .relaxed)
            let result = state.commandSink.yield(command)
            if case .enqueued = result {} else { commands.depth.value.subtract(1, ordering: .relaxed) }
            switch result {
            case .enqueued:
                state.sequence = command.sequence
                state.recent.insert(command.id)
                state.statistics.accepted += 1
                return .accepted(command.id)
            case .dropped:
                return .rejected(command.id, .busy, "the command queue is full (\(configuration.queueCapacity) waiting)")
            case .terminated:
                return .rejected(command.id, .busy, "the node is shutting down")
            @unknown default:
                return .rejected(command.id, .busy, "command queue unavailable")
            }
        }
    }

    private func takeToken(_ client: String, nowNs: UInt64) -> Bool {
        let now = Double(nowNs) / 1e9
        let rate = configuration.ratePerSecond, burst = configuration.burst
        return state.withLock { state in
            // Forget idle clients (full buckets) before the table grows large.
            if state.buckets.count > 10_000 {
                state.buckets = state.buckets.filter { _, bucket in
                    var bucket = bucket
                    return !bucket.isFull(nowSeconds: now, ratePerSecond: rate, burst: burst)
                }
            }
            var bucket = state.buckets[client] ?? TokenBucket(burst: burst, nowSeconds: now)
            let allowed = bucket.take(nowSeconds: now, ratePerSecond: rate, burst: burst)
            state.buckets[client] = bucket
            return allowed
        }
    }
}

/// The end of a loop on a dedicated thread, awaited by any number of tasks.
final class Completion: Sendable {
    private let state = Mutex<(result: Result<Void, any Error>?, waiters: [CheckedContinuation<Void, any Error>])>((nil, []))

    func finish(_ result: Result<Void, any Error>) {
        let waiters = state.withLock { state in
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let finished = state.withLock { state -> Result<Void, any Error>? in
                if state.result == nil { state.waiters.append(continuation) }
                return state.result
            }
            if let finished { continuation.resume(with: finished) }
        }
    }
}
