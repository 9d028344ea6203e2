import Capture
import Foundation
import Grounding
import Imaging
import Interpreter
import Logging
import Messaging
import Node
import Scheduling
import SightlineProtocol
import Synchronization

// Fakes for the intent engine's neighbours, each driven by the test step by step, in the spirit
// of swift-nio's EmbeddedEventLoop: nothing runs unless the test says so, so every interleaving a
// test builds is exactly the one that happens.


/// The compute executor without its thread: jobs wait until the test runs them.
final class ManualExecutor: JobExecutor {
    private struct State {
        var pending: [Job] = []
        var capacity: [Stage: Int] = [:]
        var level: ShedLevel = .none
        var closed = false
    }
    private let state = Mutex(State())
    private let clock: ManualClock

    init(clock: ManualClock) { self.clock = clock }

    var shedLevel: ShedLevel {
        get { state.withLock { $0.level } }
        set { state.withLock { $0.level = newValue } }
    }

    /// The most pending jobs of `stage` (nil: unbounded).
    func setCapacity(_ stage: Stage, _ limit: Int?) { state.withLock { $0.capacity[stage] = limit } }

    var pendingCount: Int { state.withLock { $0.pending.count } }
    func pending(_ stage: Stage) -> Int { state.withLock { $0.pending.filter { $0.stage == stage }.count } }

    @discardableResult
    func submit(_ job: Job) -> ComputeExecutor.Admission {
        enum Verdict { case accepted(replaced: Job?), full, closed }
        let verdict = state.withLock { state -> Verdict in
            if state.closed { return .closed }
            let index = job.mailboxKey.flatMap { key in state.pending.firstIndex { $0.mailboxKey == key } }
            if index == nil, let limit = state.capacity[job.stage], state.pending.filter({ $0.stage == job.stage }).count >= limit {
                return .full
            }
            var replaced: Job?
            if let index { replaced = state.pending.remove(at: index) }
            state.pending.append(job)
            return .accepted(replaced: replaced)
        }
        switch verdict {
        case .closed:
            job.disposed?(.shutdown)
            return .closed
        case .full:
            return .full
        case .accepted(let replaced):
            replaced?.disposed?(.replaced)
            return replaced == nil ? .accepted : .replacedOlder
        }
    }

    /// Runs one step of the pending job at `index` (in submission order); a job that yields goes
    /// to the back. False when nothing is pending.
    @discardableResult
    func runOne(at index: Int = 0) -> Bool {
        guard let job = state.withLock({ state -> Job? in
            guard !state.pending.isEmpty else { return nil }
            return state.pending.remove(at: min(index, state.pending.count - 1))
        }) else { return false }
        if job.latePolicy == .drop && clock.monotonicNs() > job.deadlineNs {
            job.disposed?(.expired)
            return true
        }
        if case .yield = job.step() {
            let closed = state.withLock { state -> Bool in
                if !state.closed { state.pending.append(job) }
                return state.closed
            }
            if closed { job.disposed?(.shutdown) }
        }
        return true
    }

    /// Runs steps until nothing is pending (bounded, so a job that never finishes fails the test).
    func runUntilIdle(limit: Int = 10_000) {
        var steps = 0
        while runOne() {
            steps += 1
            precondition(steps < limit, "jobs never finished")
        }
    }

    func shutdown() {
        let pending = state.withLock { state -> [Job] in
            state.closed = true
            defer { state.pending = [] }
            return state.pending
        }
        for job in pending { job.disposed?(.shutdown) }
    }
}

/// An interpreter whose sessions finish after a scripted number of steps with a scripted task.
/// Like the real one it holds one session at a time: starting another before the last one
/// ended throws `busy`, so a session the engine forgets to end shows up at once.
final class ScriptedInterpreter: CommandInterpreting {
    struct Script: Sendable {
        var steps: Int
        var outcome: InterpretationSession.Outcome
    }

    private struct State {
        var scripts: [String: Script] = [:]
        var busy = false
        var started: [String] = []
        var ended: [String] = []
    }
    private let state = Mutex(State())
    let defaultSteps: Int
    /// Called inside every step after its work (tests use it to deliver a stop while a step runs).
    let duringStep = Mutex<(@Sendable (String) -> Void)?>(nil)

    init(defaultSteps: Int = 3) { self.defaultSteps = defaultSteps }

    var imageSide: Int? { nil }

    func script(_ command: String, steps: Int? = nil, _ outcome: InterpretationSession.Outcome) {
        state.withLock { $0.scripts[command] = Script(steps: steps ?? defaultSteps, outcome: outcome) }
    }

    var started: [String] { state.withLock { $0.started } }
    var ended: [String] { state.withLock { $0.ended } }
    var isBusy: Bool { state.withLock { $0.busy } }

    func startSession(command: String, visible: [String], image: RGBImage?, deadlineNs: UInt64,
                      now: @escaping @Sendable () -> UInt64) throws -> any InterpretationSteps {
        let script = try state.withLock { state throws -> Script in
            guard !state.busy else { throw InterpreterError.busy }
            state.busy = true
            state.started.append(command)
            return state.scripts[command] ?? Script(steps: defaultSteps, outcome: .interpreted(Self.task(for: command), text: "{}"))
        }
        return Session(command: command, script: script, deadlineNs: deadlineNs, now: now, owner: self)
    }

    fileprivate func sessionEnded(_ command: String) {
        state.withLock {
            $0.busy = false
            $0.ended.append(command)
        }
    }

    /// "pick up the red cube" -> pick "the red cube"; "put X on Y" -> place X, destination Y.
    static func task(for command: String) -> InterpretedTask {
        let words = command.split(separator: " ").map(String.init)
        if words.first == "put", let on = words.firstIndex(of: "on") {
            return InterpretedTask(action: "place", target: words[1..<on].joined(separator: " "),
                                   destination: words[(on + 1)...].joined(separator: " "))
        }
        let object = words.drop { $0 != "the" }.joined(separator: " ")
        return InterpretedTask(action: words.first ?? "look_at", target: object)
    }

    final class Session: InterpretationSteps {
        private struct State {
            var remaining: Int
            var cancelled = false
            var outcome: InterpretationSession.Outcome?
        }
        private let state: Mutex<State>
        let command: String
        private let script: Script
        private let deadlineNs: UInt64
        private let now: @Sendable () -> UInt64
        private let owner: ScriptedInterpreter

        fileprivate init(command: String, script: Script, deadlineNs: UInt64, now: @escaping @Sendable () -> UInt64,
                         owner: ScriptedInterpreter) {
            self.command = command
            self.script = script
            self.deadlineNs = deadlineNs
            self.now = now
            self.owner = owner
            state = Mutex(State(remaining: script.steps))
        }

        func cancel() { state.withLock { $0.cancelled = true } }

        func step() -> InterpretationSession.Progress {
            let (progress, ended) = state.withLock { state -> (InterpretationSession.Progress, Bool) in
                if let outcome = state.outcome { return (.finished(outcome), false) }
                let outcome: InterpretationSession.Outcome?
                if state.cancelled {
                    outcome = .cancelled
                } else if now() > deadlineNs {
                    outcome = .timeout(partial: "{\"action\":")
                } else {
                    state.remaining -= 1
                    outcome = state.remaining > 0 ? nil : script.outcome
                }
                guard let outcome else { return (.running, false) }
                state.outcome = outcome
                return (.finished(outcome), true)
            }
            // After the step's work, before it returns: the last moment a stop can slip in.
            if let hook = owner.duringStep.withLock({ $0 }) { hook(command) }
            if ended { owner.sessionEnded(command) }
            return progress
        }
    }
}

/// Grounding with scripted answers per phrase (default: not found).
final class ScriptedGrounder: PhraseGrounding {
    private let answers = Mutex<[String: PhraseLocation]>([:])
    private let calls = Mutex<[String]>([])
    /// Called inside every `locate` (tests use it to deliver a stop while grounding runs).
    let duringLocate = Mutex<(@Sendable (String) -> Void)?>(nil)

    func answer(_ phrase: String, _ location: PhraseLocation) { answers.withLock { $0[phrase] = location } }
    var located: [String] { calls.withLock { $0 } }

    func locate(_ phrase: String, in image: RGBImage, prior: GroundingBox?) throws -> PhraseLocation {
        calls.withLock { $0.append(phrase) }
        if let hook = duringLocate.withLock({ $0 }) { hook(phrase) }
        return answers.withLock { $0[phrase] } ?? PhraseLocation(status: .notFound, box: nil, score: 0.1)
    }
}

/// Every intent, in publishing order.
final class RecordingPublisher: IntentPublishing {
    private let messages = Mutex<[IntentMessage]>([])
    var intents: [IntentMessage] { messages.withLock { $0 } }
    func intents(for commandID: String) -> [IntentMessage] { intents.filter { $0.commandID == commandID } }
    func publishIntent(_ message: IntentMessage) throws { messages.withLock { $0.append(message) } }
}

/// The command server's side the engine talks to.
final class RecordingDoor: CommandDoor {
    private struct State {
        var finished: [String] = []
        var shedding = false
        var sheddingChanges: [Bool] = []
    }
    private let state = Mutex(State())
    var finished: [String] { state.withLock { $0.finished } }
    var shedding: Bool { state.withLock { $0.shedding } }

    func commandFinished(_ id: String) { state.withLock { $0.finished.append(id) } }
    func setShedding(_ on: Bool) {
        state.withLock {
            if $0.shedding != on { $0.sheddingChanges.append(on) }
            $0.shedding = on
        }
    }
}

/// An engine wired to fakes, with the helpers a test needs to play the command server and the
/// camera: commands get acceptance sequences in the order the test accepts them.
final class EngineHarness: @unchecked Sendable {
    let clock = ManualClock()
    let executor: ManualExecutor
    let interpreter: ScriptedInterpreter
    let grounder = ScriptedGrounder()
    let coarseGrounder = ScriptedGrounder()
    let publisher = RecordingPublisher()
    let door = RecordingDoor()
    let engine: IntentEngine
    private let frame = LatestFrame()
    private let counters = Mutex<(sequence: UInt64, frameSeq: UInt64)>((0, 0))
    /// Acceptance sequence of every command, by id.
    private let sequences = Mutex<[String: UInt64]>([:])

    init(settings: NodeSettings = EngineHarness.settings(), interpreterSteps: Int = 3) throws {
        executor = ManualExecutor(clock: clock)
        interpreter = ScriptedInterpreter(defaultSteps: interpreterSteps)
        var logger = Logger(label: "engine-test")
        logger.logLevel = .critical
        let frame = frame
        engine = try IntentEngine(
            settings: settings, executor: executor, interpreter: interpreter, grounder: grounder, coarseGrounder: coarseGrounder,
            camera: nil, publisher: publisher, commandServer: door, clock: clock, logger: logger,
            latestFrame: { frame.value }, visibleLabels: { [] })
    }

    static func settings() -> NodeSettings {
        var settings = NodeSettings()
        settings.groundRateHz = 10
        settings.groundBudgetMs = 400
        settings.interpretBudgetMs = 4000
        settings.intentLifetimeS = 30
        settings.commandQueueDepth = 8
        return settings
    }

    /// A command as the server would hand it over, numbered in acceptance order.
    func accept(_ text: String, id: String? = nil, deadlineMs: Int? = nil) -> AcceptedCommand {
        let sequence = counters.withLock { counters -> UInt64 in
            counters.sequence += 1
            return counters.sequence
        }
        let id = id ?? "c\(sequence)"
        sequences.withLock { $0[id] = sequence }
        return AcceptedCommand(id: id, text: text, deadlineMs: deadlineMs, receivedRealtimeNs: clock.realtimeNs(),
                               receivedMonotonicNs: clock.monotonicNs(), client: "peer:00", sequence: sequence)
    }

    /// Accepted and handed to the engine at once.
    @discardableResult
    func send(_ text: String, id: String? = nil, deadlineMs: Int? = nil) -> AcceptedCommand {
        let command = accept(text, id: id, deadlineMs: deadlineMs)
        engine.handle(command)
        return command
    }

    func sequence(of id: String) -> UInt64? { sequences.withLock { $0[id] } }

    /// A new camera frame (tiny and grey: the fake grounder does not look at it).
    func newFrame(afterMs ms: Double = 100) {
        clock.advance(ms: ms)
        let seq = counters.withLock { counters -> UInt64 in
            counters.frameSeq += 1
            return counters.frameSeq
        }
        let next = Frame(pixels: .rgb8([UInt8](repeating: 128, count: 8 * 6 * 3)), width: 8, height: 6, seq: seq,
                         capture: clock.now(), sourceID: "test")
        frame.value = next
        engine.frameArrived(next)
    }

    func cancel(_ id: String) {
        engine.cancel(CommandCancellation(id: id, client: "peer:00", receivedMonotonicNs: clock.monotonicNs()))
    }

    var intents: [IntentMessage] { publisher.intents }
    func intents(for commandID: String) -> [IntentMessage] { publisher.intents(for: commandID) }
}

/// The camera's newest frame, shared with the engine's `latestFrame`.
final class LatestFrame: Sendable {
    private let frame = Mutex<Frame?>(nil)
    var value: Frame? {
        get { frame.withLock { $0 } }
        set { frame.withLock { $0 = newValue } }
    }
}

