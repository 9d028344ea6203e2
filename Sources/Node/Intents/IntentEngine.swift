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
/// active intent and is published at once.
public final class IntentEngine: @unchecked Sendable {
    private struct Waiting {
        var command: AcceptedCommand
        var deadlineNs: UInt64
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
    private let executor: ComputeExecutor
    private let interpreter: Interpreter
    private let grounder: Grounder
    /// The same search without its finest window scale: what shed level 2 ("lower the grounding
    /// resolution") grounds with, at a fraction of the windows.
    private let coarseGrounder: Grounder
    private let phrases: PhraseResolver
    private let camera: CalibratedCamera?
    private let publisher: Publisher
    private let commandServer: CommandServer
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
    private var interpreting: (command: AcceptedCommand, session: InterpretationSession)?
    private var active: [String: Active] = [:]
    private var tally = Counters()
    private var shuttingDown = false

    public init(
        settings: NodeSettings, executor: ComputeExecutor, interpreter: Interpreter, grounder: Grounder, coarseGrounder: Grounder,
        camera: CalibratedCamera?, publisher: Publisher,
        commandServer: CommandServer, clock: any CaptureClock = SystemClock(), logger: Logger,
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

    // MARK: Commands (called from the node's command loop)

    public func handle(_ command: AcceptedCommand) {
        if Self.isStop(command.text) {
            stopEverything(because: command)
            return
        }
        let budgetNs = UInt64(Double(command.deadlineMs ?? Int(settings.interpretBudgetMs)) * 1e6)
        // A new command supersedes the active intent at once: the robot should not keep acting
        // on the old one while the new one is interpreted (nor should its re-grounding slow that).
        let (startNext, superseded) = lock.withLock { () -> (Bool, [String]) in
            let superseded = Array(active.keys)
            active.removeAll()
            waiting.append(Waiting(command: command, deadlineNs: command.receivedMonotonicNs + budgetNs))
            updateAdmission()
            return (interpreting == nil, superseded)
        }
        for id in superseded { commandServer.commandFinished(id) }
        if startNext { startNextInterpretation() }
    }

    public func cancel(_ cancellation: CommandCancellation) {
        let session = lock.withLock { () -> InterpretationSession? in
            waiting.removeAll { $0.command.id == cancellation.id }
            active[cancellation.id] = nil
            updateAdmission()
            return interpreting?.command.id == cancellation.id ? interpreting?.session : nil
        }
        session?.cancel()
        commandServer.commandFinished(cancellation.id)
        logger.info("command \(cancellation.id) cancelled")
    }

    /// Stops taking new work and cancels the interpretation in flight.
    public func shutdown() {
        let session = lock.withLock { () -> InterpretationSession? in
            shuttingDown = true
            waiting.removeAll()
            active.removeAll()
            return interpreting?.session
        }
        session?.cancel()
    }

    /// "stop", "halt!", "please stop", "e-stop": taken at once, without the model.
    public static func isStop(_ text: String) -> Bool {
        let words = text.lowercased().split { !$0.isLetter && $0 != "-" }
        guard let first = words.first else { return false }
        return stopWords.contains(String(first)) || (words.count <= 3 && words.contains { stopWords.contains(String($0)) })
    }

    /// Busy at the door when the interpreter's queue is full or the node sheds its last step.
    private func updateAdmission() {
        commandServer.setShedding(waiting.count >= settings.commandQueueDepth || executor.shedLevel >= .rejectCommands)
    }

    private func stopEverything(because command: AcceptedCommand) {
        let (ended, session) = lock.withLock { () -> ([String], InterpretationSession?) in
            let ended = Array(active.keys) + waiting.map(\.command.id)
            active.removeAll()
            waiting.removeAll()
            updateAdmission()
            return (ended, interpreting?.session)
        }
        session?.cancel()
        for id in ended { commandServer.commandFinished(id) }
        publishFinal(command, action: "stop", status: .grounded, interpretMs: 0)
        logger.info("stop (\(command.id)): ended \(ended.count) command(s)")
    }

    // MARK: Interpretation

    private func startNextInterpretation() {
        starting.lock()
        defer { starting.unlock() }
        while true {
            let next = lock.withLock { () -> Waiting? in
                guard interpreting == nil, !shuttingDown, !waiting.isEmpty else { return nil }
                let next = waiting.removeFirst()
                updateAdmission()
                return next
            }
            guard let next else { return }
            let session: InterpretationSession
            do {
                // A vision-language interpreter sees the newest frame (decoded no larger than its
                // tower needs); a text-only one the scene labels alone.
                var image: RGBImage?
                if let vision = interpreter.vision, let frame = latestFrame() {
                    let side = vision.encoder.configuration.vision.imageSize
                    image = try frame.rgb(scale: JPEGScale.largest(reducing: frame.width, frame.height, toAtLeast: side))
                }
                session = try interpreter.session(
                    command: next.command.text, visible: visibleLabels(), image: image, deadlineNs: next.deadlineNs,
                    now: { [clock] in clock.monotonicNs() })
            } catch {
                publishFailure(next.command, status: .error, interpretMs: 0, why: "\(error)")
                continue
            }
            lock.withLock { interpreting = (next.command, session) }
            let admission = executor.submit(Job(
                stage: .interpret, deadlineNs: next.deadlineNs, originNs: next.command.receivedMonotonicNs,
                latePolicy: .run,
                disposed: { [self] _ in finishInterpretation(next.command, .cancelled) }
            ) { [self] in
                switch session.step() {
                case .running: return .yield
                case .finished(let outcome):
                    finishInterpretation(next.command, outcome)
                    return .finished
                }
            })
            // A closed executor disposed of the job, which already finished the interpretation.
            if admission == .full { finishInterpretation(next.command, .failed("the compute queue is full")) }
            return
        }
    }

    private func finishInterpretation(_ command: AcceptedCommand, _ outcome: InterpretationSession.Outcome) {
        let interpretMs = milliseconds(clock.monotonicNs(), since: command.receivedMonotonicNs)
        lock.withLock { if interpreting?.command.id == command.id { interpreting = nil } }
        switch outcome {
        case .interpreted(var task, let text):
            task = phrases.resolve(task, command: command.text)
            logger.info("command \(command.id) \"\(command.text)\" -> \(text) -> target \"\(task.target)\"")
            lock.withLock { tally.interpreted += 1 }
            activate(command, task, interpretMs: interpretMs)
        case .timeout(let partial):
            logger.warning("command \(command.id) missed its deadline while interpreting (so far: \(partial))")
            lock.withLock { tally.timeouts += 1 }
            publishFailure(command, status: .timeout, interpretMs: interpretMs, why: "deadline")
        case .cancelled:
            commandServer.commandFinished(command.id)
        case .failed(let why):
            logger.error("command \(command.id): \(why)")
            lock.withLock { tally.failures += 1 }
            publishFailure(command, status: .error, interpretMs: interpretMs, why: why)
        }
        startNextInterpretation()
    }

    /// A newer command supersedes every older active intent.
    private func activate(_ command: AcceptedCommand, _ task: InterpretedTask, interpretMs: Double) {
        let now = clock.monotonicNs()
        let superseded = lock.withLock { () -> [String] in
            guard !shuttingDown else { return [] }
            let old = Array(active.keys)
            active = [command.id: Active(
                command: command, task: task, interpretMs: interpretMs, revision: -1, lastGroundNs: now,
                expiresNs: now + nanoseconds(settings.intentLifetimeS * 1000))]
            return old
        }
        for id in superseded { commandServer.commandFinished(id) }
        guard let frame = latestFrame() else {
            publishFailure(command, status: .error, interpretMs: interpretMs, why: "no frame yet", action: task.action)
            return
        }
        submitGrounding(commandID: command.id, frame: frame, originNs: now)
    }

    // MARK: Grounding (called for every new frame from the capture thread)

    public func frameArrived(_ frame: Frame) {
        let now = frame.capture.monotonicNs
        let interval = settings.groundRateHz > 0 ? UInt64(1e9 / settings.groundRateHz) : 0
        let (due, expired) = lock.withLock { () -> ([String], [String]) in
            var due: [String] = [], expired: [String] = []
            for (id, intent) in active {
                if now > intent.expiresNs {
                    expired.append(id)
                } else if intent.revision >= 0 && now >= intent.lastGroundNs + interval {
                    due.append(id)
                    active[id]!.lastGroundNs = now
                }
            }
            for id in expired { active[id] = nil }
            return (due, expired)
        }
        for id in expired {
            commandServer.commandFinished(id)
            logger.info("intent for \(id) expired")
        }
        for id in due { submitGrounding(commandID: id, frame: frame, originNs: frame.capture.monotonicNs) }
    }

    private func submitGrounding(commandID: String, frame: Frame, originNs: UInt64) {
        executor.submit(Job(
            stage: .ground, deadlineNs: originNs + nanoseconds(settings.groundBudgetMs), originNs: originNs,
            mailboxKey: "ground:\(commandID)", latePolicy: .drop
        ) { [self] in
            ground(commandID: commandID, frame: frame, originNs: originNs)
            return .finished
        })
    }

    /// Runs on the executor thread.
    private func ground(commandID: String, frame: Frame, originNs: UInt64) {
        guard let intent = lock.withLock({ active[commandID] }) else { return }
        let started = clock.monotonicNs()
        let grounder = executor.shedLevel >= .lowerGroundingResolution ? coarseGrounder : self.grounder
        do {
            let (image, scale) = try groundingImage(frame)
            var target: GroundedPhrase?, destination: GroundedPhrase?
            var status = IntentStatus.grounded
            var targetBox: GroundingBox?, destinationBox: GroundingBox?
            if !intent.task.target.isEmpty {
                let result = try grounder.ground(intent.task.target, in: image, prior: intent.target.map { $0.scaled(by: 1 / scale) })
                status = Self.status(result.status)
                targetBox = result.box.map { $0.scaled(by: scale) }
                target = targetBox.map { describe(intent.task.target, $0, score: result.score) }
            }
            if let phrase = intent.task.destination, !phrase.isEmpty {
                let result = try grounder.ground(phrase, in: image, prior: intent.destination.map { $0.scaled(by: 1 / scale) })
                destinationBox = result.box.map { $0.scaled(by: scale) }
                destination = destinationBox.map { describe(phrase, $0, score: result.score) }
                // With no target, the destination is what the intent is about.
                if intent.task.target.isEmpty { status = Self.status(result.status) }
            }
            let done = clock.monotonicNs()
            let update = lock.withLock { () -> (revision: Int, changed: Bool)? in
                guard var intent = active[commandID] else { return nil }  // cancelled or superseded meanwhile
                intent.revision += 1
                intent.target = targetBox ?? intent.target
                intent.destination = destinationBox ?? intent.destination
                let changed = intent.lastStatus != status
                intent.lastStatus = status
                active[commandID] = intent
                return (intent.revision, changed)
            }
            guard let (revision, statusChanged) = update else { return }
            let total = revision == 0
                ? milliseconds(done, since: intent.command.receivedMonotonicNs)
                : milliseconds(done, since: frame.capture.monotonicNs)
            let message = IntentMessage(
                id: "\(commandID)/\(revision)", commandID: commandID, revision: revision, text: intent.command.text,
                action: intent.task.action, target: target, destination: destination, status: status,
                frame: stamp(frame),
                latencyMs: IntentLatency(interpret: intent.interpretMs, ground: milliseconds(done, since: started), total: total),
                validUntilRealtimeNs: frame.capture.realtimeNs + nanoseconds(settings.intentValidityMs),
                models: settings.models)
            publish(message)
            // A picture when the answer changes (found, lost, ambiguous), not one per revision.
            if statusChanged { annotator?.write(frame: frame, intent: message, decoder: decoder) }
        } catch {
            lock.withLock { tally.groundErrors += 1 }
            logger.warning("grounding \(commandID) on frame \(frame.seq) failed: \(error)")
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

    private func publishFailure(_ command: AcceptedCommand, status: IntentStatus, interpretMs: Double, why: String,
                                action: String = "unknown") {
        publishFinal(command, action: action, status: status, interpretMs: interpretMs)
        logger.warning("command \(command.id): \(status.rawValue) (\(why))")
    }

    /// The one answer a command gets without grounding (stop, timeout, error): revision 0 on the
    /// newest frame, no target; the command is then finished.
    private func publishFinal(_ command: AcceptedCommand, action: String, status: IntentStatus, interpretMs: Double) {
        let frame = latestFrame()
        let now = clock.now()
        publish(IntentMessage(
            id: "\(command.id)/0", commandID: command.id, revision: 0, text: command.text, action: action,
            target: nil, status: status, frame: stamp(frame),
            latencyMs: IntentLatency(interpret: interpretMs, ground: 0, total: milliseconds(now.monotonicNs, since: command.receivedMonotonicNs)),
            validUntilRealtimeNs: (frame?.capture.realtimeNs ?? now.realtimeNs) + nanoseconds(settings.intentValidityMs),
            models: settings.models))
        commandServer.commandFinished(command.id)
    }

    private func publish(_ message: IntentMessage) {
        do {
            try publisher.publish(.intent, message)
            lock.withLock { tally.published += 1 }
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
