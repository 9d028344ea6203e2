public import Calibration
public import Capture
import CLIP
import Foundation
public import Grounding
import Imaging
public import Interpreter
import LLaVA
public import Logging
public import Messaging
public import Scheduling
import SightlineProtocol

/// Commands in, grounded intents out.
///
/// A command waits its turn for the interpreter (one at a time: the language
/// model has one KV cache), which runs as an executor job that yields after
/// every prefill chunk and decode token, so frame work runs between tokens.
/// The interpreted task's phrases are grounded with CLIP on the newest frame
/// and published as revision 0; the intent then stays active, re-grounded on
/// new frames at the configured rate and republished with the next revision
/// and a fresh `valid_until`, until it is cancelled, superseded by a newer
/// command, or expires. "stop" (and its synonyms) needs no model: it ends every
/// command accepted before it and is published at once.
///
/// Stop wins by construction: every command carries the command server's acceptance sequence,
/// the engine remembers the newest stop's, and nothing of a command accepted before that stop is
/// queued, interpreted, activated or published any more. The check and the publishing happen
/// under one lock, the same one under which a stop takes effect and publishes its own intent, so
/// a grounding job already running when the stop arrives cannot publish after the stop either.
public final class IntentEngine: @unchecked Sendable {
    private struct Waiting {
        var command: AcceptedCommand
        var deadlineNs: UInt64
    }

    /// The command whose interpretation holds the interpreter. `session` is nil while the session
    /// is being created (outside the lock); cancel, stop and shutdown see the command all the same.
    private struct Interpreting {
        var command: AcceptedCommand
        var session: (any InterpretationSteps)?
        var cancelled = false
    }

    private struct Active {
        var command: AcceptedCommand
        var task: InterpretedTask
        var interpretMs: Double
        var revision: Int
        var lastGroundNs: UInt64
        var expiresNs: UInt64
        var target: GroundingBox?
        var destination: GroundingBox?
        var lastStatus: IntentStatus?
    }

    public struct Counters: Sendable, Equatable {
        public var interpreted: UInt64 = 0
        public var timeouts: UInt64 = 0
        public var failures: UInt64 = 0
        public var published: UInt64 = 0
        public var groundErrors: UInt64 = 0
    }

    /// Words that stop the robot without asking the model.
    public static let stopWords: Set<String> = ["stop", "halt", "freeze", "abort", "cancel", "estop", "e-stop"]

    private let settings: NodeSettings
    private let executor: any JobExecutor
    private let interpreter: any CommandInterpreting
    private let grounder: any PhraseGrounding
    /// The same search without its finest window scale: what shed level 2 ("lower the grounding
    /// resolution") grounds with, at a fraction of the windows.
    private let coarseGrounder: any PhraseGrounding
    private let phrases: PhraseResolver
    private let camera: CalibratedCamera?
    private let publisher: any IntentPublishing
    private let commandServer: any CommandDoor
    private let annotator: FrameAnnotator?
    private let clock: any CaptureClock
    private let logger: Logger
    private let latestFrame: @Sendable () -> Frame?
    private let visibleLabels: @Sendable () -> [String]
    /// Only the executor thread decodes frames for grounding.
    private let decoder: JPEGDecoder

    private let lock = NSLock()
    /// Serialises starting interpretations: the command loop and the executor thread (after
    /// one finishes) may both try; the interpreter must see one `session` call at a time.
    /// Recursive because a start that fails at once finishes and starts the next one.
    private let starting = NSRecursiveLock()
    private var waiting: [Waiting] = []
    private var interpreting: Interpreting?
    private var active: [String: Active] = [:]
    /// The acceptance sequence of the newest stop: commands below it are ended.
    private var stopSequence: UInt64 = 0
    /// Cancels that arrived before their command (the two come on separate streams; the server
    /// accepts a cancel only for a command it accepted, so the command is on its way), with when
    /// they were received: only a command received before its cancel matches (a much later
    /// command that reuses the id does not). Bounded: the oldest is forgotten first.
    private var earlyCancels: [(id: String, receivedNs: UInt64)] = []
    private static let earlyCancelLimit = 64
    private var tally = Counters()
    private var shuttingDown = false

    public init(
        settings: NodeSettings, executor: any JobExecutor, interpreter: any CommandInterpreting,
        grounder: any PhraseGrounding, coarseGrounder: any PhraseGrounding,
        camera: CalibratedCamera?, publisher: any IntentPublishing,
        commandServer: any CommandDoor, clock: any CaptureClock = SystemClock(), logger: Logger,
        latestFrame: @escaping @Sendable () -> Frame?, visibleLabels: @escaping @Sendable () -> [String]
    ) throws {
        self.settings = settings
        self.executor = executor
        self.interpreter = interpreter
        self.grounder = grounder
        self.coarseGrounder = coarseGrounder
        phrases = PhraseResolver(vocabulary: settings.sceneVocabulary)
        self.camera = camera
        self.publisher = publisher
        self.commandServer = commandServer
        self.clock = clock
        self.logger = logger
        self.latestFrame = latestFrame
        self.visibleLabels = visibleLabels
        decoder = try JPEGDecoder()
        annotator = settings.annotateDirectory.map { FrameAnnotator(directory: $0, limit: settings.annotateLimit, logger: logger) }
    }

    public var counters: Counters { lock.withLock { tally } }
    public var waitingCount: Int { lock.withLock { waiting.count } }
    public var activeCount: Int { lock.withLock { active.count } }

    // MARK: Commands (called from the node's command loops)

    public func handle(_ command: AcceptedCommand) {
        if Self.isStop(command.text) {
            stop(because: command)
            return
        }
        let budgetNs = nanoseconds(Double(command.deadlineMs ?? Int(settings.interpretBudgetMs)))
        let frame = latestFrame(), now = clock.now()
        enum Decision { case queued(startNext: Bool, superseded: [String]), endedByStop, cancelledEarly, refused }
        // A new command supersedes the active intent at once: the robot should not keep acting
        // on the old one while the new one is interpreted (nor should its re-grounding slow that).
        let decision = lock.withLock { () -> Decision in
            if isEnded(command) { return .endedByStop }
            if let early = earlyCancels.firstIndex(where: { $0.id == command.id && command.receivedMonotonicNs <= $0.receivedNs }) {
                earlyCancels.remove(at: early)
                return .cancelledEarly
            }
            if shuttingDown {
                publishLocked(finalMessage(command, status: .error, detail: Self.shutdownDetail, frame: frame, now: now))
                return .refused
            }
            let superseded = active.values.filter { $0.command.sequence < command.sequence }.map(\.command.id)
            for id in superseded { active[id] = nil }
            waiting.append(Waiting(command: command, deadlineNs: command.receivedMonotonicNs &+ budgetNs))
            updateAdmission()
            return .queued(startNext: interpreting == nil, superseded: superseded)
        }
        switch decision {
        case .queued(let startNext, let superseded):
            for id in superseded { commandServer.commandFinished(id) }
            if startNext { startNextInterpretation() }
        case .endedByStop:
            commandServer.commandFinished(command.id)
            logger.info("command \(command.id) was accepted before a stop: ended unheard")
        case .cancelledEarly:
            commandServer.commandFinished(command.id)
            logger.info("command \(command.id) was cancelled before it arrived")
        case .refused:
            commandServer.commandFinished(command.id)
        }
    }

    public func cancel(_ cancellation: CommandCancellation) {
        let session = lock.withLock { () -> (any InterpretationSteps)? in
            let queued = waiting.count
            waiting.removeAll { $0.command.id == cancellation.id }
            let found = waiting.count < queued || active.removeValue(forKey: cancellation.id) != nil
            updateAdmission()
            guard interpreting?.command.id == cancellation.id else {
                if !found {
                    earlyCancels.append((cancellation.id, cancellation.receivedMonotonicNs))
                    if earlyCancels.count > Self.earlyCancelLimit { earlyCancels.removeFirst() }
                }
                return nil
            }
            interpreting?.cancelled = true
            return interpreting?.session
        }
        session?.cancel()
        commandServer.commandFinished(cancellation.id)
        logger.info("command \(cancellation.id) cancelled")
    }

    /// Stops taking new work, answers every command that has no intent yet with a final `error`
    /// ("the node is shutting down"), ends the active intents (their last revision's
    /// `valid_until` still bounds them) and cancels the interpretation in flight.
    public func shutdown() {
        let frame = latestFrame(), now = clock.now()
        let (session, finished) = lock.withLock { () -> ((any InterpretationSteps)?, [String]) in
            guard !shuttingDown else { return (nil, []) }
            shuttingDown = true
            var unanswered = waiting.map(\.command)
            if let current = interpreting, !current.cancelled, !isEnded(current.command) { unanswered.append(current.command) }
            for command in unanswered {
                publishLocked(finalMessage(command, status: .error, detail: Self.shutdownDetail, frame: frame, now: now))
            }
            let finished = unanswered.map(\.id) + active.keys
            waiting.removeAll()
            active.removeAll()
            return (interpreting?.session, finished)
        }
        session?.cancel()
        for id in finished { commandServer.commandFinished(id) }
        if !finished.isEmpty { logger.info("shutdown: ended \(finished.count) command(s)") }
    }

    static let shutdownDetail = "the node is shutting down"

    /// "stop", "halt!", "please stop", "e-stop": taken at once, without the model.
    public static func isStop(_ text: String) -> Bool {
        let words = text.lowercased().split { !$0.isLetter && $0 != "-" }
        guard let first = words.first else { return false }
        return stopWords.contains(String(first)) || (words.count <= 3 && words.contains { stopWords.contains(String($0)) })
    }

    /// Ended by a stop accepted after it. Under `lock`.
    private func isEnded(_ command: AcceptedCommand) -> Bool { command.sequence < stopSequence }

    /// Busy at the door when the interpreter's queue is full, or when the node sheds its last step
    /// while a command already waits for or holds the interpreter. With the interpreter idle a new
    /// command is let in even at that level: it supersedes the active intents, whose re-grounding
    /// is the load, so refusing it would keep the load and leave the operator unable to redirect
    /// the robot. Under `lock`; also called on every frame, so a falling shed level (or a finished
    /// interpretation) reopens the door without waiting for a command event.
    private func updateAdmission() {
        let interpreterTaken = interpreting != nil || !waiting.isEmpty
        commandServer.setShedding(waiting.count >= settings.commandQueueDepth
            || (executor.shedLevel >= .rejectCommands && interpreterTaken))
    }

    /// Ends every command accepted before `command` and publishes the stop's intent, in one step.
    private func stop(because command: AcceptedCommand) {
        let frame = latestFrame(), now = clock.now()
        let message = finalMessage(command, action: "stop", status: .grounded, frame: frame, now: now)
        let (ended, session, published) = lock.withLock { () -> ([String], (any InterpretationSteps)?, Bool) in
            // An older stop that arrives after a newer one: the newer one already ended everything.
            guard !isEnded(command) else { return ([], nil, false) }
            stopSequence = command.sequence
            var ended = active.values.filter { isEnded($0.command) }.map(\.command.id)
            for id in ended { active[id] = nil }
            ended += waiting.filter { isEnded($0.command) }.map(\.command.id)
            waiting.removeAll { isEnded($0.command) }
            var session: (any InterpretationSteps)?
            // Marked cancelled, so a later stop does not count it again while its job winds down.
            if let current = interpreting, isEnded(current.command), !current.cancelled {
                ended.append(current.command.id)
                session = current.session
                interpreting?.cancelled = true
            }
            updateAdmission()
            publishLocked(message)
            return (ended, session, true)
        }
        session?.cancel()
        for id in ended { commandServer.commandFinished(id) }
        commandServer.commandFinished(command.id)
        if published { logger.info("stop (\(command.id)): ended \(ended.count) command(s)") }
    }

    // MARK: Interpretation

    private func startNextInterpretation() {
        starting.lock()
        defer { starting.unlock() }
        while true {
            let next = lock.withLock { () -> Waiting? in
                guard interpreting == nil, !shuttingDown, !waiting.isEmpty else { return nil }
                let next = waiting.removeFirst()
                interpreting = Interpreting(command: next.command)
                updateAdmission()
                return next
            }
            guard let next else { return }
            let session: any InterpretationSteps
            do {
                // A vision-language interpreter sees the newest frame (decoded no larger than its
                // tower needs); a text-only one the scene labels alone.
                var image: RGBImage?
                if let side = interpreter.imageSide, let frame = latestFrame() {
                    image = try frame.rgb(scale: JPEGScale.largest(reducing: frame.width, frame.height, toAtLeast: side))
                }
                session = try interpreter.startSession(
                    command: next.command.text, visible: visibleLabels(), image: image, deadlineNs: next.deadlineNs,
                    now: { [clock] in clock.monotonicNs() })
            } catch {
                finishInterpretation(next.command, .failed("\(error)"), startNext: false)
                continue
            }
            // Cancelled, stopped or shut down while the session was being made: it never runs.
            let live = lock.withLock { () -> Bool in
                guard let current = interpreting, current.command.sequence == next.command.sequence,
                      !current.cancelled, !isEnded(current.command), !shuttingDown else { return false }
                interpreting?.session = session
                return true
            }
            guard live else {
                session.endNow()
                finishInterpretation(next.command, .cancelled, startNext: false)
                continue
            }
            let admission = executor.submit(Job(
                stage: .interpret, deadlineNs: next.deadlineNs, originNs: next.command.receivedMonotonicNs,
                latePolicy: .run,
                disposed: { [self] _ in
                    // Never stepped again: end the session so the interpreter is free.
                    session.endNow()
                    finishInterpretation(next.command, .cancelled)
                }
            ) { [self] in
                switch session.step() {
                case .running: return .yield
                case .finished(let outcome):
                    finishInterpretation(next.command, outcome)
                    return .finished
                }
            })
            // A stalled start: the session never got a step, so it is ended here.
            // (A closed executor disposed of the job, which already finished the interpretation.)
            if admission == .full {
                session.endNow()
                finishInterpretation(next.command, .failed("the compute queue is full"))
            }
            return
        }
    }

    /// The interpretation of `command` is over: frees the interpreter slot and answers (or, when
    /// the command was cancelled, stopped or shut down meanwhile, stays silent).
    private func finishInterpretation(_ command: AcceptedCommand, _ outcome: InterpretationSession.Outcome, startNext: Bool = true) {
        let interpretMs = milliseconds(clock.monotonicNs(), since: command.receivedMonotonicNs)
        let frame = latestFrame(), now = clock.now()
        var task: InterpretedTask?
        var final: (status: IntentStatus, detail: String)?
        switch outcome {
        case .interpreted(var interpreted, let text):
            interpreted = phrases.resolve(interpreted, command: command.text)
            logger.info("command \(command.id) \"\(command.text)\" -> \(text) -> target \"\(interpreted.target)\"")
            task = interpreted
            if frame == nil { final = (.error, "no frame yet") }
        case .timeout(let partial):
            logger.warning("command \(command.id) missed its deadline while interpreting (so far: \(partial))")
            final = (.timeout, "the deadline passed while interpreting")
        case .cancelled:
            break
        case .failed(let why):
            logger.error("command \(command.id): \(why)")
            final = (.error, why)
        }
        enum Result { case silent, answered, activated(superseded: [String]) }
        let result = lock.withLock { () -> Result in
            var cancelled = false
            if let current = interpreting, current.command.sequence == command.sequence {
                cancelled = current.cancelled
                interpreting = nil
            }
            switch outcome {
            case .interpreted: tally.interpreted += 1
            case .timeout: tally.timeouts += 1
            case .failed: tally.failures += 1
            case .cancelled: break
            }
            guard !cancelled, !isEnded(command), !shuttingDown else { return .silent }
            if let final {
                publishLocked(finalMessage(command, task: task, status: final.status, detail: final.detail,
                                           interpretMs: interpretMs, frame: frame, now: now))
                return .answered
            }
            guard let task else { return .silent }
            // A newer command already active supersedes this one before it starts.
            if active.values.contains(where: { $0.command.sequence > command.sequence }) { return .silent }
            let superseded = Array(active.keys)
            active = [command.id: Active(
                command: command, task: task, interpretMs: interpretMs, revision: -1, lastGroundNs: now.monotonicNs,
                expiresNs: now.monotonicNs &+ nanoseconds(settings.intentLifetimeS * 1000))]
            return .activated(superseded: superseded)
        }
        switch result {
        case .silent:
            commandServer.commandFinished(command.id)
        case .answered:
            commandServer.commandFinished(command.id)
            if let final { logger.warning("command \(command.id): \(final.status.rawValue) (\(final.detail))") }
        case .activated(let superseded):
            for id in superseded { commandServer.commandFinished(id) }
            if let frame { submitGrounding(command: command, frame: frame, originNs: now.monotonicNs) }
        }
        if startNext { startNextInterpretation() }
    }

    // MARK: Grounding (called for every new frame from the capture thread)

    public func frameArrived(_ frame: Frame) {
        let now = frame.capture.monotonicNs
        let interval = settings.groundRateHz > 0 ? UInt64(1e9 / settings.groundRateHz) : 0
        let (due, expired) = lock.withLock { () -> ([AcceptedCommand], [String]) in
            var due: [AcceptedCommand] = [], expired: [String] = []
            for (id, intent) in active {
                if now > intent.expiresNs {
                    expired.append(id)
                } else if intent.revision >= 0 && now >= intent.lastGroundNs &+ interval {
                    due.append(intent.command)
                    active[id]!.lastGroundNs = now
                }
            }
            for id in expired { active[id] = nil }
            updateAdmission()
            return (due, expired)
        }
        for id in expired {
            commandServer.commandFinished(id)
            logger.info("intent for \(id) expired")
        }
        for command in due { submitGrounding(command: command, frame: frame, originNs: frame.capture.monotonicNs) }
    }

    private func submitGrounding(command: AcceptedCommand, frame: Frame, originNs: UInt64) {
        executor.submit(Job(
            stage: .ground, deadlineNs: originNs &+ nanoseconds(settings.groundBudgetMs), originNs: originNs,
            mailboxKey: "ground:\(command.id)", latePolicy: .drop
        ) { [self] in
            ground(command, frame: frame, originNs: originNs)
            return .finished
        })
    }

    /// The active intent of `command`, if it is still the one under its id.
    private func activeIntent(_ command: AcceptedCommand) -> Active? {
        guard let intent = active[command.id], intent.command.sequence == command.sequence else { return nil }
        return intent
    }

    /// Runs on the executor thread.
    private func ground(_ command: AcceptedCommand, frame: Frame, originNs: UInt64) {
        guard let intent = lock.withLock({ activeIntent(command) }) else { return }
        let started = clock.monotonicNs()
        let grounder = executor.shedLevel >= .lowerGroundingResolution ? coarseGrounder : self.grounder
        do {
            let (image, scale) = try groundingImage(frame)
            var target: GroundedPhrase?, destination: GroundedPhrase?
            var status = IntentStatus.grounded
            var targetBox: GroundingBox?, destinationBox: GroundingBox?
            if !intent.task.target.isEmpty {
                let result = try grounder.locate(intent.task.target, in: image, prior: intent.target.map { $0.scaled(by: 1 / scale) })
                status = Self.status(result.status)
                targetBox = result.box.map { $0.scaled(by: scale) }
                target = targetBox.map { describe(intent.task.target, $0, score: result.score) }
            }
            if let phrase = intent.task.destination, !phrase.isEmpty {
                let result = try grounder.locate(phrase, in: image, prior: intent.destination.map { $0.scaled(by: 1 / scale) })
                destinationBox = result.box.map { $0.scaled(by: scale) }
                destination = destinationBox.map { describe(phrase, $0, score: result.score) }
                // With no target, the destination is what the intent is about.
                if intent.task.target.isEmpty { status = Self.status(result.status) }
            }
            let done = clock.monotonicNs()
            // Checked and published in one step: a cancel, supersede, stop or shutdown that took
            // effect meanwhile leaves nothing to publish.
            let (published, statusChanged) = lock.withLock { () -> (IntentMessage?, Bool) in
                guard var current = activeIntent(command) else { return (nil, false) }
                current.revision += 1
                current.target = targetBox ?? current.target
                current.destination = destinationBox ?? current.destination
                let changed = current.lastStatus != status
                current.lastStatus = status
                active[command.id] = current
                let revision = current.revision
                let total = revision == 0
                    ? milliseconds(done, since: command.receivedMonotonicNs)
                    : milliseconds(done, since: frame.capture.monotonicNs)
                let message = IntentMessage(
                    id: "\(command.id)/\(revision)", commandID: command.id, revision: revision, text: command.text,
                    action: current.task.action, targetPhrase: Self.phrase(current.task.target),
                    destinationPhrase: current.task.destination.flatMap(Self.phrase),
                    target: target, destination: destination, status: status,
                    frame: stamp(frame),
                    latencyMs: IntentLatency(interpret: current.interpretMs, ground: milliseconds(done, since: started), total: total),
                    validUntilRealtimeNs: frame.capture.realtimeNs &+ nanoseconds(settings.intentValidityMs),
                    models: settings.models)
                publishLocked(message)
                return (message, changed)
            }
            // A picture when the answer changes (found, lost, ambiguous), not one per revision.
            if let published, statusChanged { annotator?.write(frame: frame, intent: published, decoder: decoder) }
        } catch {
            lock.withLock { tally.groundErrors += 1 }
            logger.warning("grounding \(command.id) on frame \(frame.seq) failed: \(error)")
        }
    }

    /// The frame decoded for grounding, and the factor from its pixels to the stream's.
    private func groundingImage(_ frame: Frame) throws -> (RGBImage, Float) {
        let limit = settings.groundingMaxSide
        var scale = JPEGScale.full
        if case .jpeg = frame.pixels {
            for candidate in [JPEGScale.full, .half, .quarter, .eighth]
            where max(frame.width, frame.height) / candidate.denominator <= limit || candidate == .eighth {
                scale = candidate
                break
            }
        }
        let image = try frame.rgb(scale: scale, decoder: decoder)
        return (image, Float(frame.width) / Float(image.width))
    }

    private func describe(_ phrase: String, _ box: GroundingBox, score: Float) -> GroundedPhrase {
        let (u, v) = box.center
        var ray: [Double]?
        // In the base frame when a camera-to-base transform is calibrated, else the camera frame.
        // A pixel the lens model cannot invert (far corners of a strong lens) gets no ray.
        if let camera, let direction = try? camera.ray(u: Double(u), v: Double(v)).direction {
            ray = [direction.x, direction.y, direction.z]
        }
        return GroundedPhrase(
            phrase: phrase, box: box.array.map(Double.init), center: [Double(u), Double(v)], score: Double(score), ray: ray)
    }

    private static func status(_ status: GroundingResult.Status) -> IntentStatus {
        switch status {
        case .grounded: .grounded
        case .notFound: .notFound
        case .ambiguous: .ambiguous
        }
    }

    // MARK: Publishing

    /// A phrase as published: nil when empty.
    private static func phrase(_ text: String) -> String? { text.isEmpty ? nil : text }

    /// The one answer a command gets without grounding (stop, timeout, error): revision 0 on
    /// `frame`, no box, but the interpretation as far as it got.
    private func finalMessage(
        _ command: AcceptedCommand, task: InterpretedTask? = nil, action: String? = nil, status: IntentStatus,
        detail: String? = nil, interpretMs: Double = 0, frame: Frame?, now: CaptureTime
    ) -> IntentMessage {
        IntentMessage(
            id: "\(command.id)/0", commandID: command.id, revision: 0, text: command.text,
            action: action ?? task?.action ?? "unknown",
            targetPhrase: task.flatMap { Self.phrase($0.target) }, destinationPhrase: task?.destination.flatMap(Self.phrase),
            target: nil, status: status, detail: detail, frame: stamp(frame),
            latencyMs: IntentLatency(interpret: interpretMs, ground: 0, total: milliseconds(now.monotonicNs, since: command.receivedMonotonicNs)),
            validUntilRealtimeNs: (frame?.capture.realtimeNs ?? now.realtimeNs) &+ nanoseconds(settings.intentValidityMs),
            models: settings.models)
    }

    /// Under `lock`, so that what is published and what a stop has ended are decided together.
    /// The publisher never blocks (ZMQ_DONTWAIT).
    private func publishLocked(_ message: IntentMessage) {
        do {
            try publisher.publishIntent(message)
            tally.published += 1
        } catch {
            logger.error("publishing intent \(message.id): \(error)")
        }
    }

    private func stamp(_ frame: Frame?) -> FrameStamp {
        guard let frame else { return FrameStamp(seq: 0, capturedRealtimeNs: 0, capturedMonotonicNs: 0) }
        return FrameStamp(seq: frame.seq, capturedRealtimeNs: frame.capture.realtimeNs, capturedMonotonicNs: frame.capture.monotonicNs)
    }
}

func nanoseconds(_ milliseconds: Double) -> UInt64 { UInt64(max(0, milliseconds) * 1e6) }

func milliseconds(_ now: UInt64, since start: UInt64) -> Double {
    now > start ? Double(now - start) / 1e6 : 0
}

extension GroundingBox {
    func scaled(by factor: Float) -> GroundingBox {
        GroundingBox(x0: x0 * factor, y0: y0 * factor, x1: x1 * factor, y1: y1 * factor)
    }
}
