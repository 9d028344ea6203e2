import Capture
import Foundation
import Scheduling
import Synchronization
import Testing

/// Records what ran, in order, from the executor's thread.
final class RunLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    private var disposals: [String: JobDisposal] = [:]

    func append(_ entry: String) { lock.withLock { entries.append(entry) } }
    func dispose(_ name: String, _ why: JobDisposal) { lock.withLock { disposals[name] = why } }
    var ran: [String] { lock.withLock { entries } }
    var disposed: [String: JobDisposal] { lock.withLock { disposals } }
}

/// Holds the executor's thread inside a job until the test has queued what it wants.
final class Gate: @unchecked Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    func job(now: UInt64) -> Job {
        Job(stage: .interpret, deadlineNs: now, originNs: now) { [self] in
            entered.signal()
            released.wait()
            return .finished
        }
    }
    func waitUntilHeld() { entered.wait() }
    func release() { released.signal() }
}

private let clock = SystemClock()
private let ms: UInt64 = 1_000_000

/// Waits (polling) until `condition` holds or a generous timeout passes.
func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.002)
    }
    return condition()
}

@Suite struct ComputeExecutorTests {
    func executor(capacity: Int = 16) -> ComputeExecutor {
        ComputeExecutor(capacity: [.scene: capacity, .ground: capacity, .interpret: capacity])
    }

    @Test func runsEarliestDeadlineFirst() {
        let executor = executor(), log = RunLog(), gate = Gate()
        executor.start()
        let now = clock.monotonicNs()
        executor.submit(gate.job(now: now))
        gate.waitUntilHeld()
        // Submitted out of order; deadlines are far enough ahead that none is late.
        for (name, offset) in [("c", 300), ("a", 100), ("d", 400), ("b", 200), ("b2", 200)] {
            executor.submit(Job(stage: .ground, deadlineNs: now + UInt64(offset) * 10 * ms, originNs: now) {
                log.append(name)
                return .finished
            })
        }
        gate.release()
        #expect(eventually { log.ran.count == 5 })
        #expect(log.ran == ["a", "b", "b2", "c", "d"])  // equal deadlines keep submission order
        executor.shutdown()
    }

    @Test func mailboxKeepsOnlyTheLatestFrame() {
        let executor = executor(capacity: 1), log = RunLog(), gate = Gate()
        executor.start()
        let now = clock.monotonicNs()
        executor.submit(gate.job(now: now))
        gate.waitUntilHeld()
        var admissions: [ComputeExecutor.Admission] = []
        for seq in 1...5 {
            admissions.append(executor.submit(Job(
                stage: .scene, deadlineNs: now + 10_000 * ms, originNs: now, mailboxKey: "frame",
                disposed: { log.dispose("frame\(seq)", $0) }
            ) {
                log.append("frame\(seq)")
                return .finished
            }))
        }
        #expect(admissions == [.accepted, .replacedOlder, .replacedOlder, .replacedOlder, .replacedOlder])
        gate.release()
        #expect(eventually { log.ran.count == 1 })
        #expect(log.ran == ["frame5"])
        #expect(log.disposed == ["frame1": .replaced, "frame2": .replaced, "frame3": .replaced, "frame4": .replaced])
        #expect(executor.snapshot().stages[.scene]?.replaced == 4)
        executor.shutdown()
    }

    @Test func frameJobRunsBetweenTwoDecodeSteps() {
        let executor = executor(), log = RunLog()
        executor.start()
        let now = clock.monotonicNs()
        let steps = StepCounter()
        // An interpretation of 20 steps due in 10 s; each step takes 2 ms.
        executor.submit(Job(stage: .interpret, deadlineNs: now + 10_000 * ms, originNs: now) {
            let n = steps.increment()
            log.append("step\(n)")
            Thread.sleep(forTimeInterval: 0.002)
            return n < 20 ? .yield : .finished
        })
        #expect(eventually { steps.value >= 3 })
        let frameAt = clock.monotonicNs()
        executor.submit(Job(stage: .scene, deadlineNs: frameAt + 50 * ms, originNs: frameAt, mailboxKey: "frame") {
            log.append("frame")
            return .finished
        })
        let stepsStartedAtSubmission = steps.value
        #expect(eventually { log.ran.count == 21 })
        // The frame ran as soon as the step in progress ended, not after the whole interpretation.
        let frameIndex = log.ran.firstIndex(of: "frame")!
        #expect(frameIndex <= stepsStartedAtSubmission + 1)
        #expect(frameIndex < 20)
        #expect(executor.snapshot().stages[.scene]?.deadlineMisses == 0)
        executor.shutdown()
    }

    @Test func lateFrameIsDroppedAndCountedAsAMiss() {
        let executor = executor(), log = RunLog()
        executor.start()
        let now = clock.monotonicNs()
        executor.submit(Job(
            stage: .scene, deadlineNs: now - 1, originNs: now - 100 * ms, mailboxKey: "frame", latePolicy: .drop,
            disposed: { log.dispose("late", $0) }
        ) {
            log.append("late")
            return .finished
        })
        #expect(eventually { log.disposed["late"] != nil })
        #expect(log.ran.isEmpty)
        #expect(log.disposed["late"] == .expired)
        let scene = executor.snapshot().stages[.scene]!
        #expect(scene.expired == 1 && scene.deadlineMisses == 1 && scene.completed == 0)
        executor.shutdown()
    }

    @Test func lateWorkThatMustRunIsCountedWhenItFinishes() {
        let executor = executor(), log = RunLog()
        executor.start()
        let now = clock.monotonicNs()
        executor.submit(Job(stage: .interpret, deadlineNs: now - 1, originNs: now - 10 * ms) {
            log.append("ran")
            return .finished
        })
        #expect(eventually { executor.snapshot().stages[.interpret]?.completed == 1 })
        #expect(log.ran == ["ran"])
        #expect(executor.snapshot().stages[.interpret]?.deadlineMisses == 1)
        executor.shutdown()
    }

    @Test func fullStageQueueRefusesWithoutBlocking() {
        let executor = executor(capacity: 2), gate = Gate()
        executor.start()
        let now = clock.monotonicNs()
        executor.submit(gate.job(now: now))
        gate.waitUntilHeld()
        let job = Job(stage: .interpret, deadlineNs: now + 1000 * ms, originNs: now) { .finished }
        #expect(executor.submit(job) == .accepted)
        #expect(executor.submit(job) == .accepted)
        #expect(executor.submit(job) == .full)
        #expect(executor.snapshot().stages[.interpret]?.pending == 2)
        gate.release()
        executor.shutdown()
    }

    @Test func shutdownDisposesPendingAndInFlightWork() {
        let executor = executor(), log = RunLog(), gate = Gate()
        executor.start()
        let now = clock.monotonicNs()
        // A multi-step interpretation is running when shutdown starts.
        executor.submit(Job(stage: .interpret, deadlineNs: now + 1000 * ms, originNs: now,
                            disposed: { log.dispose("interpretation", $0) }) {
            _ = gate.job(now: now).step()
            return .yield
        })
        gate.waitUntilHeld()
        executor.submit(Job(stage: .ground, deadlineNs: now + 1000 * ms, originNs: now,
                            disposed: { log.dispose("ground", $0) }) {
            log.append("ground")
            return .finished
        })
        let done = DispatchSemaphore(value: 0)
        Thread { executor.shutdown(); done.signal() }.start()
        #expect(eventually { log.disposed["ground"] == .shutdown })
        gate.release()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(log.disposed["interpretation"] == .shutdown)
        #expect(log.ran.isEmpty)
        #expect(executor.submit(Job(stage: .scene, deadlineNs: now, originNs: now) { .finished }) == .closed)
    }

    /// A flood of interpretation work (every slot full, each step 4 ms) must not
    /// push 30 fps frame jobs (6 ms of work, 60 ms budget) past their deadlines.
    /// On a manual clock that only the jobs move (each advances it by its work
    /// time), and with the frames submitted by the work itself every 33 ms of that
    /// time, so a loaded machine cannot make a frame late: only the order can.
    /// (It ran on the wall clock before and missed under a CPU hog.)
    @Test func interpretationFloodKeepsFramesInsideTheirDeadlines() {
        let clock = ManualClock()
        let executor = ComputeExecutor(capacity: [.scene: 64, .ground: 64, .interpret: 64], clock: clock)
        let frames = StepCounter(), nextFrameAt = Mutex<UInt64>(clock.monotonicNs())
        @Sendable func cameraTick() {
            let now = clock.monotonicNs()
            let due = nextFrameAt.withLock { (next: inout UInt64) -> Bool in
                guard now >= next, frames.value < 15 else { return false }
                next += 33 * ms
                return true
            }
            guard due else { return }
            _ = frames.increment()
            executor.submit(Job(stage: .scene, deadlineNs: now + 60 * ms, originNs: now,
                                mailboxKey: "frame", latePolicy: .drop) {
                clock.advance(6 * ms)
                return .finished
            })
        }
        let start = clock.monotonicNs()
        for _ in 0..<64 {  // 64 interpretations of 3 steps: 768 ms of work
            let steps = StepCounter()
            executor.submit(Job(stage: .interpret, deadlineNs: start + 2_000 * ms, originNs: start) {
                clock.advance(4 * ms)
                cameraTick()
                return steps.increment() < 3 ? .yield : .finished
            })
        }
        executor.start()
        #expect(eventually { executor.snapshot().stages[.interpret]?.completed == 64 })
        #expect(eventually { executor.snapshot().stages[.scene].map { $0.completed + $0.expired + $0.replaced } == 15 })
        let scene = executor.snapshot().stages[.scene]!
        #expect(frames.value == 15)
        #expect(scene.deadlineMisses == 0)
        #expect(scene.completed == 15)
        executor.shutdown()
    }
}

final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int { lock.withLock { count += 1; return count } }
    var value: Int { lock.withLock { count } }
}
