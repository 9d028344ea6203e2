import Capture
import Foundation
import Scheduling
import Synchronization
import Testing


/// The levels the executor's observer was told, in order.
final class LevelLog: @unchecked Sendable {
    private let lock = NSLock()
    private var levels: [ShedLevel] = []
    func append(_ level: ShedLevel) { lock.withLock { levels.append(level) } }
    var seen: [ShedLevel] { lock.withLock { levels } }
}

private let ms: UInt64 = 1_000_000

/// The executor on a manual clock: every load is set by the job's origin and
/// deadline against that clock, never by how long anything takes on this machine.
@Suite struct ExecutorSheddingTests {
    let clock = ManualClock()

    func executor() -> ComputeExecutor {
        ComputeExecutor(capacity: [.scene: 1, .ground: 64, .interpret: 1],
                        shedder: LoadShedder(quietPeriodNs: 1000 * ms), clock: clock)
    }

    /// A ground job that finishes at twice its budget (captured 800 ms ago, 400 ms budget).
    func lateGroundJob(_ done: StepCounter) -> Job {
        let now = clock.monotonicNs()
        return Job(stage: .ground, deadlineNs: now - 400 * ms, originNs: now - 800 * ms) {
            _ = done.increment()
            return .finished
        }
    }

    @Test func sustainedOverloadEscalatesAndIdleTimeAloneBringsTheLevelBack() {
        let executor = executor(), levels = LevelLog(), done = StepCounter()
        executor.observeShedLevel { levels.append($0) }
        executor.start()
        for round in 1...10 {
            for _ in 0..<9 { executor.submit(lateGroundJob(done)) }
            #expect(eventually { done.value == 9 * round })
            #expect(executor.shedLevel == .rejectCommands)
            // Idle: nothing is submitted. Only the clock moves.
            clock.advance(999 * ms)
            #expect(executor.shedLevel == .rejectCommands)
            clock.advance(1 * ms)
            #expect(executor.shedLevel == .lowerGroundingResolution)
            clock.advance(2000 * ms)
            #expect(executor.shedLevel == ShedLevel.none, "round \(round): back to none 3 s after the load")
            #expect(eventually { levels.seen.last == ShedLevel.none })
            clock.advance(10_000 * ms)
        }
        // Each round: three steps up and three down.
        #expect(executor.snapshot().shedChanges == 60)
        #expect(levels.seen.contains(.rejectCommands))
        executor.shutdown()
    }

    /// Nobody reads the level and no job runs: the executor's own timer still
    /// notices the step down and tells the observer.
    @Test func theObserverHearsTheRecoveryWithoutAnyReader() {
        let executor = executor(), levels = LevelLog(), done = StepCounter()
        executor.observeShedLevel { levels.append($0) }
        executor.start()
        for _ in 0..<9 { executor.submit(lateGroundJob(done)) }
        #expect(eventually { levels.seen.last == .rejectCommands })
        clock.advance(60_000 * ms)
        #expect(eventually { levels.seen.last == ShedLevel.none })
        executor.shutdown()
    }

    /// At level 1 a scene job (the probe the frame pipeline still sends) runs, and
    /// its late report holds the level; on time, it lets the level go.
    @Test func probeSceneJobsRunWhileSheddingAndFeedTheShedder() {
        let executor = executor(), log = RunLog()
        executor.start()
        func scene(_ name: String, late: Bool) {
            let now = clock.monotonicNs()
            executor.submit(Job(stage: .scene, deadlineNs: late ? now - 100 * ms : now + 250 * ms,
                                originNs: late ? now - 350 * ms : now, mailboxKey: "scene") {
                log.append(name)
                return .finished
            })
            #expect(eventually { log.ran.last == name })
        }
        for i in 0..<3 { scene("late\(i)", late: true) }
        #expect(executor.shedLevel == .skipSceneScoring)
        for i in 0..<10 {  // a late probe a second for 10 s
            clock.advance(1000 * ms)
            scene("probe\(i)", late: true)
            #expect(executor.shedLevel == .skipSceneScoring)
        }
        clock.advance(1000 * ms)
        scene("on time", late: false)
        clock.advance(1500 * ms)  // 2.5 s after the last late probe
        #expect(executor.shedLevel == ShedLevel.none)
        executor.shutdown()
    }
}
