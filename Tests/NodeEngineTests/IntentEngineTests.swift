import Capture
import Grounding
import Imaging
import Interpreter
import Messaging
import Node
import Scheduling
import SightlineProtocol
import Synchronization
import TestSupport
import Testing

/// The intent engine in-process, with fakes for the executor, interpreter, grounder, publisher
/// and command server, and a manual clock: every interleaving is built step by step.
@Suite("Intent engine")
struct IntentEngineTests {
    static let redCube = PhraseLocation(status: .grounded, box: GroundingBox(x0: 1, y0: 1, x1: 4, y1: 3), score: 0.9)

    /// Interprets and grounds `text` to its first intent.
    @discardableResult
    static func pickToFirstIntent(_ h: EngineHarness, _ text: String = "pick up the red cube") -> AcceptedCommand {
        let command = h.send(text)
        h.executor.runUntilIdle()
        return command
    }

    // MARK: Stop wins

    @Test("A pick accepted before a stop but delivered after it is ended unheard")
    func pickDeliveredAfterStop() throws {
        let h = try EngineHarness()
        h.newFrame()
        let pick = h.accept("pick up the red cube")  // accepted first (ordinary stream, slow)
        let stop = h.accept("stop")  // accepted second (urgent stream, fast)
        h.engine.handle(stop)
        h.engine.handle(pick)
        h.executor.runUntilIdle()
        for _ in 0..<5 { h.newFrame(); h.executor.runUntilIdle() }
        #expect(h.intents.map(\.commandID) == [stop.id])
        #expect(h.intents.first?.action == "stop")
        #expect(h.interpreter.started.isEmpty)
        #expect(h.door.finished.contains(pick.id))
    }

    @Test("A stop ends the interpretation in flight; its session is ended and a command accepted after the stop runs")
    func stopEndsInterpretation() throws {
        let h = try EngineHarness(interpreterSteps: 4)
        h.newFrame()
        let pick = h.send("pick up the red cube")
        h.executor.runOne()
        let stop = h.send("stop")
        let next = h.send("pick up the blue ball")
        h.executor.runUntilIdle()
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: pick.id).isEmpty)
        #expect(h.interpreter.ended.contains(pick.text))
        let ids = h.intents.map(\.commandID)
        #expect(ids.first == stop.id)
        #expect(ids.contains(next.id))
    }

    @Test("A pick accepted after a stop survives the stop even when it is delivered first")
    func pickAcceptedAfterStopSurvives() throws {
        let h = try EngineHarness()
        h.newFrame()
        let stop = h.accept("stop")
        let pick = h.accept("pick up the red cube")
        h.engine.handle(pick)
        h.engine.handle(stop)
        h.executor.runUntilIdle()
        #expect(h.intents.map(\.commandID) == [stop.id, pick.id])
    }

    @Test("A grounding job that is running when the stop arrives publishes nothing after the stop")
    func stopDuringGrounding() throws {
        let h = try EngineHarness()
        h.newFrame()
        let pick = Self.pickToFirstIntent(h)
        #expect(h.intents(for: pick.id).count == 1)
        let stopID = Mutex<String?>(nil)
        h.grounder.duringLocate.withLock {
            $0 = { _ in
                // The stop arrives on the command thread while CLIP is busy on the executor thread.
                let stop = h.send("halt")
                stopID.withLock { $0 = stop.id }
                h.grounder.duringLocate.withLock { $0 = nil }
            }
        }
        h.newFrame()
        h.executor.runUntilIdle()
        let stop = try #require(stopID.withLock { $0 })
        let stopIndex = try #require(h.intents.firstIndex { $0.commandID == stop })
        #expect(!h.intents[(stopIndex + 1)...].contains { $0.commandID == pick.id })
        #expect(h.intents(for: pick.id).count == 1)
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: pick.id).count == 1)
    }

    @Test("A stop during the last interpretation step: the finished interpretation is not activated")
    func stopDuringLastStep() throws {
        let h = try EngineHarness(interpreterSteps: 1)
        h.newFrame()
        let stopID = Mutex<String?>(nil)
        h.interpreter.duringStep.withLock {
            $0 = { _ in
                stopID.withLock { $0 = h.send("stop").id }
                h.interpreter.duringStep.withLock { $0 = nil }
            }
        }
        let pick = h.send("pick up the red cube")
        h.executor.runUntilIdle()
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents.map(\.commandID) == [try #require(stopID.withLock { $0 })])
        #expect(h.intents(for: pick.id).isEmpty)
        #expect(!h.interpreter.isBusy)
    }

    /// 100 seeded trials of picks, stops, cancels, frames and executor steps interleaved at random,
    /// with the ordinary and urgent streams delivering in their own order (as NodeService's two
    /// loops do), stops also arriving in the middle of grounding and interpretation steps.
    /// Invariant: no message of a command accepted before a stop is published after that stop's
    /// intent; every stop publishes one intent; the interpreter is never left busy.
    @Test("Randomised: nothing accepted before a stop is published after it", arguments: [0x5EED_0001 as UInt64, 0x5EED_0002])
    func randomisedStopOrdering(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var totalStops = 0, totalPublished = 0
        for _ in 0..<50 {
            let h = try EngineHarness(interpreterSteps: Int.random(in: 1...4, using: &rng))
            for phrase in ["the red cube", "the blue ball"] where Bool.random(using: &rng) {
                h.grounder.answer(phrase, Self.redCube)
            }
            var ordinary: [AcceptedCommand] = [], urgent: [AcceptedCommand] = []
            var issued: [AcceptedCommand] = []
            // Stops delivered from inside an executor step (a stop arriving while a job runs).
            let midJobStops = Mutex<[AcceptedCommand]>([])
            let stopInside: @Sendable (String) -> Void = { _ in
                let stop = h.accept("stop")
                midJobStops.withLock { $0.append(stop) }
                h.engine.handle(stop)
            }
            h.newFrame()
            for _ in 0..<60 {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<18:
                    let text = ["pick up the red cube", "push the blue ball", "put the red cube on the blue ball"].randomElement(using: &rng)!
                    let command = h.accept(text)
                    ordinary.append(command)
                    issued.append(command)
                case 18..<26:
                    let command = h.accept(["stop", "halt", "please stop"].randomElement(using: &rng)!)
                    urgent.append(command)
                    issued.append(command)
                case 26..<40:
                    if !ordinary.isEmpty { h.engine.handle(ordinary.removeFirst()) }
                case 40..<50:
                    if !urgent.isEmpty { h.engine.handle(urgent.removeFirst()) }
                case 50..<54:
                    if let victim = issued.randomElement(using: &rng) { h.cancel(victim.id) }
                case 54..<68:
                    h.newFrame(afterMs: Double.random(in: 10...150, using: &rng))
                case 68..<72:
                    // The next grounding or interpretation step has a stop arrive in its middle.
                    if Bool.random(using: &rng) {
                        h.grounder.duringLocate.withLock { $0 = { phrase in h.grounder.duringLocate.withLock { $0 = nil }; stopInside(phrase) } }
                    } else {
                        h.interpreter.duringStep.withLock { $0 = { text in h.interpreter.duringStep.withLock { $0 = nil }; stopInside(text) } }
                    }
                default:
                    let pending = h.executor.pendingCount
                    if pending > 0 { h.executor.runOne(at: Int.random(in: 0..<pending, using: &rng)) }
                }
            }
            // Deliver what is left, stop injecting, and let everything run out.
            h.grounder.duringLocate.withLock { $0 = nil }
            h.interpreter.duringStep.withLock { $0 = nil }
            while !ordinary.isEmpty || !urgent.isEmpty {
                if !urgent.isEmpty && (ordinary.isEmpty || Bool.random(using: &rng)) { h.engine.handle(urgent.removeFirst()) } else { h.engine.handle(ordinary.removeFirst()) }
            }
            for _ in 0..<3 { h.newFrame(); h.executor.runUntilIdle() }

            let intents = h.intents
            let stops = issued.filter { IntentEngine.isStop($0.text) } + midJobStops.withLock { $0 }
            for stop in stops {
                let published = intents.enumerated().filter { $0.element.commandID == stop.id }
                // One intent per stop; none only for a stop that reached the engine after a newer
                // one (which had already ended everything the older one would).
                let overtaken = stops.contains { newer in newer.sequence > stop.sequence && intents.contains { $0.commandID == newer.id } }
                #expect(published.count == 1 || (published.isEmpty && overtaken), "stop \(stop.id) published \(published.count) intents (seed \(seed))")
                guard let stopIndex = published.first?.offset else { continue }
                let leaks = intents[(stopIndex + 1)...].filter { (h.sequence(of: $0.commandID) ?? .max) < stop.sequence }.map(\.id)
                #expect(leaks == [], "published after stop \(stop.id) (seed \(seed))")
            }
            #expect(!h.interpreter.isBusy)
            #expect(!intents.contains { $0.detail?.contains("another command") == true }, "a session was left open (seed \(seed))")
            totalStops += stops.count
            totalPublished += intents.count
        }
        // The trials exercised something: stops and grounded revisions were published.
        #expect(totalStops > 50 && totalPublished > totalStops)
    }

    // MARK: Supersede, cancel, expiry

    @Test("A newer command supersedes the active intent at once")
    func supersede() throws {
        let h = try EngineHarness()
        h.grounder.answer("the red cube", Self.redCube)
        h.newFrame()
        let first = Self.pickToFirstIntent(h)
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: first.id).map(\.revision) == [0, 1])
        let second = h.send("push the blue ball")
        #expect(h.door.finished.contains(first.id))
        h.executor.runUntilIdle()
        for _ in 0..<3 { h.newFrame(); h.executor.runUntilIdle() }
        #expect(h.intents(for: first.id).count == 2)
        #expect(h.intents(for: second.id).map(\.revision) == [0, 1, 2, 3])
        #expect(h.engine.activeCount == 1)
    }

    @Test("Cancel during interpretation ends the session and publishes nothing; the next command runs")
    func cancelDuringInterpretation() throws {
        let h = try EngineHarness(interpreterSteps: 5)
        h.newFrame()
        let pick = h.send("pick up the red cube")
        h.executor.runOne()
        h.cancel(pick.id)
        h.executor.runUntilIdle()
        #expect(h.intents(for: pick.id).isEmpty)
        #expect(h.interpreter.ended == [pick.text])
        #expect(h.door.finished.contains(pick.id))
        let next = Self.pickToFirstIntent(h, "push the blue ball")
        #expect(h.intents(for: next.id).count == 1)
    }

    @Test("A cancel that overtakes its command (separate streams) still cancels it")
    func cancelBeforeCommandArrives() throws {
        let h = try EngineHarness()
        h.newFrame()
        let pick = h.accept("pick up the red cube")
        h.cancel(pick.id)
        h.engine.handle(pick)
        h.executor.runUntilIdle()
        #expect(h.intents(for: pick.id).isEmpty)
        #expect(h.interpreter.started.isEmpty)
        // Only that command: the next one with another id runs.
        let next = Self.pickToFirstIntent(h, "push the blue ball")
        #expect(h.intents(for: next.id).count == 1)
    }

    @Test("Cancel of an active intent stops its revisions, also with a grounding job already queued")
    func cancelActive() throws {
        let h = try EngineHarness()
        h.grounder.answer("the red cube", Self.redCube)
        h.newFrame()
        let pick = Self.pickToFirstIntent(h)
        h.newFrame()  // queues a grounding job
        h.cancel(pick.id)
        h.executor.runUntilIdle()
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: pick.id).count == 1)
        #expect(h.engine.activeCount == 0)
    }

    @Test("An intent expires after its lifetime: no revision after, and the command is finished")
    func expiry() throws {
        var settings = EngineHarness.settings()
        settings.intentLifetimeS = 1
        let h = try EngineHarness(settings: settings)
        h.grounder.answer("the red cube", Self.redCube)
        h.newFrame()
        let pick = Self.pickToFirstIntent(h)
        for _ in 0..<5 { h.newFrame(afterMs: 150); h.executor.runUntilIdle() }
        let before = h.intents(for: pick.id).count
        #expect(before >= 2)
        h.newFrame(afterMs: 1000)
        h.executor.runUntilIdle()
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: pick.id).count == before)
        #expect(h.engine.activeCount == 0)
        #expect(h.door.finished.contains(pick.id))
    }

    @Test("Re-grounding runs at the configured rate, and at shed level 2 with the coarse grounder")
    func regroundRateAndCoarse() throws {
        let h = try EngineHarness()  // 10 Hz
        h.grounder.answer("the red cube", Self.redCube)
        h.coarseGrounder.answer("the red cube", Self.redCube)
        h.newFrame()
        let pick = Self.pickToFirstIntent(h)
        for _ in 0..<4 { h.newFrame(afterMs: 50); h.executor.runUntilIdle() }  // 200 ms: two re-groundings
        #expect(h.intents(for: pick.id).count == 3)
        #expect(h.coarseGrounder.located.isEmpty)
        h.executor.shedLevel = .lowerGroundingResolution
        h.newFrame(afterMs: 100)
        h.executor.runUntilIdle()
        #expect(h.coarseGrounder.located == ["the red cube"])
    }

    // MARK: Admission

    @Test("Queue full -> busy at the door, and open again when it drains")
    func admissionQueue() throws {
        var settings = EngineHarness.settings()
        settings.commandQueueDepth = 2
        let h = try EngineHarness(settings: settings)
        h.newFrame()
        h.send("pick up the red cube")  // interpreting
        h.send("push the blue ball")
        #expect(!h.door.shedding)
        h.send("pick up the blue ball")
        #expect(h.door.shedding)
        h.executor.runUntilIdle()
        #expect(!h.door.shedding)
    }

    @Test("Shed level 3 -> busy while the interpreter is taken; back open when the level falls, on the next frame without any command")
    func admissionShedLevel() throws {
        let h = try EngineHarness()
        h.newFrame()
        h.send("pick up the red cube")  // interpreting
        #expect(!h.door.shedding)
        h.executor.shedLevel = .rejectCommands
        h.newFrame()
        #expect(h.door.shedding)
        h.executor.shedLevel = .skipSceneScoring
        h.newFrame()
        #expect(!h.door.shedding)
    }

    /// The load at level 3 is the active intents' re-grounding; a new command supersedes them,
    /// so with the interpreter idle it is let in (refusing it would keep the load).
    @Test("Shed level 3 with the interpreter idle: a new command is admitted and supersedes the active intent")
    func admissionShedLevelIdleInterpreter() throws {
        let h = try EngineHarness()
        h.grounder.answer("the red cube", Self.redCube)
        h.newFrame()
        let first = h.send("pick up the red cube")
        h.executor.runUntilIdle()
        #expect(!h.intents(for: first.id).isEmpty)
        h.executor.shedLevel = .rejectCommands
        h.newFrame()
        #expect(!h.door.shedding)
        let second = h.send("push the blue ball")
        #expect(h.door.shedding)  // now a command holds the interpreter
        let before = h.intents(for: first.id).count
        h.executor.runUntilIdle()
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: first.id).count == before, "the superseded intent is not re-grounded")
        #expect(!h.intents(for: second.id).isEmpty)
        #expect(!h.door.shedding, "the interpreter is free again")
    }

    @Test("A stalled start (compute queue full) ends its session and answers error; the next command runs")
    func stalledInterpretation() throws {
        let h = try EngineHarness()
        h.newFrame()
        h.executor.setCapacity(.interpret, 0)
        let stalled = h.send("pick up the red cube")
        let answer = try #require(h.intents(for: stalled.id).first)
        #expect(answer.status == .error && answer.detail == "the compute queue is full")
        #expect(h.interpreter.ended == [stalled.text])
        #expect(!h.interpreter.isBusy)
        h.executor.setCapacity(.interpret, nil)
        let next = Self.pickToFirstIntent(h, "push the blue ball")
        #expect(h.intents(for: next.id).first?.status == .notFound)
    }

    // MARK: What every intent says

    @Test("Every intent names its action and phrases, whatever its status")
    func intentsSayWhatTheyAreAbout() throws {
        let h = try EngineHarness()
        h.grounder.answer("the red cube", Self.redCube)
        // No frame yet: error, but with the interpretation.
        let early = Self.pickToFirstIntent(h, "put the red cube on the blue ball")
        let error = try #require(h.intents(for: early.id).first)
        #expect(error.status == .error && error.action == "place")
        #expect(error.targetPhrase == "the red cube" && error.destinationPhrase == "the blue ball")
        h.newFrame()
        // Not found: names what was looked for.
        let absent = Self.pickToFirstIntent(h, "pick up the purple sphere")
        let notFound = try #require(h.intents(for: absent.id).first)
        #expect(notFound.status == .notFound && notFound.action == "pick" && notFound.targetPhrase == "the purple sphere")
        #expect(notFound.destinationPhrase == nil && notFound.target == nil)
        // Grounded.
        let found = Self.pickToFirstIntent(h)
        let grounded = try #require(h.intents(for: found.id).first)
        #expect(grounded.status == .grounded && grounded.targetPhrase == "the red cube" && grounded.target?.phrase == "the red cube")
        // Timeout before interpretation finished: the text, no phrases.
        let slow = h.send("pick up the red cube", deadlineMs: 50)
        h.clock.advance(ms: 100)
        h.executor.runUntilIdle()
        let timeout = try #require(h.intents(for: slow.id).first)
        #expect(timeout.status == .timeout && timeout.text == "pick up the red cube" && timeout.targetPhrase == nil)
        #expect(timeout.detail != nil)
        // A model failure: error with its reason.
        h.interpreter.script("dance wildly", .failed("the output did not parse"))
        let failed = Self.pickToFirstIntent(h, "dance wildly")
        #expect(h.intents(for: failed.id).first.map { $0.status == .error && $0.detail == "the output did not parse" } == true)
        // Stop.
        let stop = h.send("stop")
        #expect(h.intents(for: stop.id).first.map { $0.action == "stop" && $0.targetPhrase == nil } == true)
    }

    // MARK: Shutdown

    @Test("Shutdown answers every command that has no intent yet with a final error, then publishes nothing")
    func shutdown() throws {
        let h = try EngineHarness(interpreterSteps: 4)
        h.grounder.answer("the red cube", Self.redCube)
        h.newFrame()
        let active = Self.pickToFirstIntent(h)
        let interpreting = h.send("push the blue ball")
        h.executor.runOne()
        let waiting = h.send("put the red cube on the blue ball")
        h.engine.shutdown()
        h.executor.shutdown()
        h.newFrame()
        h.executor.runUntilIdle()
        #expect(h.intents(for: active.id).count == 1)
        for command in [interpreting, waiting] {
            let answers = h.intents(for: command.id)
            #expect(answers.count == 1)
            #expect(answers.first?.status == .error && answers.first?.detail == "the node is shutting down")
            #expect(answers.first?.text == command.text)
        }
        #expect(!h.interpreter.isBusy)
        #expect(Set([active.id, interpreting.id, waiting.id]).isSubset(of: Set(h.door.finished)))
        // A command that reaches the engine after shutdown gets the same answer.
        let late = h.send("pick up the red cube")
        #expect(h.intents(for: late.id).map(\.detail) == ["the node is shutting down"])
        // A stop still publishes: stopping is never refused.
        let stop = h.send("stop")
        #expect(h.intents(for: stop.id).count == 1)
    }
}
