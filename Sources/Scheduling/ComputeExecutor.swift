public import Capture
import Foundation

/// The node's single compute executor: one dedicated thread runs jobs from an
/// earliest-deadline-first queue.
///
/// One thread, because OpenBLAS serializes concurrent callers anyway and two
/// models racing for two cores only makes both late. Interpretation is
/// submitted as a job that yields after every prefill chunk or decode step, so
/// a frame job due sooner runs between two tokens. Frame jobs go through
/// one-slot mailboxes (`Job.mailboxKey`), so there is never a frame backlog.
public final class ComputeExecutor: @unchecked Sendable {
    /// Admission answer for `submit`.
    public enum Admission: Sendable, Equatable {
        case accepted
        /// Accepted, and it replaced an older pending job from the same mailbox.
        case replacedOlder
        /// The stage's queue is at capacity (answer `busy`).
        case full
        /// The executor is shutting down.
        case closed
    }

    /// Everything `status` needs, read atomically.
    public struct Snapshot: Sendable {
        public var stages: [Stage: StageSummary]
        public var shedLevel: ShedLevel
        /// Shed level changes since start, up or down.
        public var shedChanges: UInt64
        public var running: Stage?
    }

    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue = DeadlineQueue()
    private var statistics: [Stage: StageStatistics] = [:]
    private var shedder: LoadShedder
    private var running: Stage?
    private var stopping = false
    private var stopped = false
    private var thread: Thread?
    private var notifiedLevel: ShedLevel = .none
    private var shedLevelObserver: (@Sendable (ShedLevel) -> Void)?

    private let capacity: [Stage: Int]
    private let clock: any CaptureClock
    private let name: String

    /// - Parameters:
    ///   - capacity: the most jobs of each stage that may wait at once; a stage
    ///     not named is unbounded only through its mailbox keys, so name them all.
    ///   - shedder: the load-shedding policy fed by frame stages (`scene`, `ground`) and by time,
    ///     read on this executor's clock.
    public init(
        name: String = "sightline-compute", capacity: [Stage: Int], shedder: LoadShedder = LoadShedder(),
        clock: any CaptureClock = SystemClock()
    ) {
        self.name = name
        self.capacity = capacity
        self.shedder = shedder
        self.clock = clock
        for stage in Stage.allCases { statistics[stage] = StageStatistics() }
    }

    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard thread == nil else { return }
        let thread = Thread { [self] in runLoop() }
        thread.name = name
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Queues `job`. Never blocks.
    @discardableResult
    public func submit(_ job: Job) -> Admission {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            job.disposed?(.shutdown)
            return .closed
        }
        let limit = capacity[job.stage] ?? Int.max
        let replacesPending = job.mailboxKey.map { queue.hasPending(key: $0) } ?? false
        if queue.pending(job.stage) >= limit && !replacesPending {
            condition.unlock()
            return .full
        }
        let replaced = queue.push(job)
        if let replaced { statistics[replaced.stage]!.recordReplaced() }
        condition.signal()
        condition.unlock()
        replaced?.disposed?(.replaced)
        return replaced == nil ? .accepted : .replacedOlder
    }

    /// The current shed level, brought up to date with the clock: cheap enough to
    /// read on every frame (a lock and a few comparisons).
    public var shedLevel: ShedLevel {
        condition.lock()
        defer { condition.unlock() }
        return currentShedLevel()
    }

    /// Calls `observer` with the new level after every change, from the executor's
    /// thread, which re-reads the level on a timer while shedding: so a change is
    /// seen even when no frame job reports and nobody reads `shedLevel`. It is
    /// told between two job steps, so at most one step late; quick changes may be
    /// seen only as their result. The observer must not block.
    public func observeShedLevel(_ observer: @escaping @Sendable (ShedLevel) -> Void) {
        condition.lock()
        shedLevelObserver = observer
        condition.unlock()
    }

    public func snapshot() -> Snapshot {
        condition.lock()
        defer { condition.unlock() }
        var stages: [Stage: StageSummary] = [:]
        for (stage, stats) in statistics { stages[stage] = stats.summary(pending: queue.pending(stage)) }
        let level = currentShedLevel()
        return Snapshot(stages: stages, shedLevel: level, shedChanges: shedder.changes, running: running)
    }

    /// Stops intake, lets the running step finish, disposes every pending job
    /// with `.shutdown`, and waits for the thread to end.
    public func shutdown() {
        condition.lock()
        stopping = true
        let pending = queue.removeAll()
        condition.broadcast()
        condition.unlock()
        for job in pending { job.disposed?(.shutdown) }
        condition.lock()
        while thread != nil && !stopped { condition.wait() }
        condition.unlock()
    }

    private func runLoop() {
        while let job = next() {
            let start = clock.monotonicNs()
            if start > job.deadlineNs && job.latePolicy == .drop {
                condition.lock()
                statistics[job.stage]!.recordExpired()
                recordLoad(of: job, finishedAt: start)
                running = nil
                condition.unlock()
                job.disposed?(.expired)
                continue
            }
            let step = job.step()
            let end = clock.monotonicNs()
            condition.lock()
            running = nil
            statistics[job.stage]!.recordBusy(end &- start)
            switch step {
            case .finished:
                let latency = end > job.originNs ? end - job.originNs : 0
                statistics[job.stage]!.recordCompletion(latencyNs: latency, missed: end > job.deadlineNs)
                recordLoad(of: job, finishedAt: end)
                condition.unlock()
            case .yield:
                if stopping {
                    condition.unlock()
                    job.disposed?(.shutdown)
                } else {
                    _ = queue.push(job)
                    condition.unlock()
                }
            }
        }
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until a job is due or the executor stops (nil). While shedding it
    /// wakes on a timer as well, so the level steps down when no frame job reports.
    private func next() -> Job? {
        while true {
            condition.lock()
            let level = currentShedLevel()
            let changed = level != notifiedLevel ? shedLevelObserver : nil
            notifiedLevel = level
            if changed == nil {
                if stopping {
                    condition.unlock()
                    return nil
                }
                if let job = queue.popEarliest() {
                    running = job.stage
                    condition.unlock()
                    return job
                }
                if level > .none {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: wakeDelay()))
                } else {
                    condition.wait()
                }
            }
            condition.unlock()
            changed?(level)
        }
    }

    /// Guarded by `condition`. Relaxes the shedder to now; wakes the executor's
    /// thread if the level changed, so it tells the observer.
    private func currentShedLevel() -> ShedLevel {
        let before = shedder.level
        let level = shedder.relax(atNs: clock.monotonicNs())
        if level != before { condition.signal() }
        return level
    }

    /// Guarded by `condition`. How long to sleep before the next step down is due:
    /// at most a quarter second, so an injected clock that jumps is followed too.
    private func wakeDelay() -> TimeInterval {
        let now = clock.monotonicNs()
        guard let at = shedder.nextStepDownNs, at > now else { return 0.005 }
        return min(max(Double(at - now) / 1e9, 0.005), 0.25)
    }

    /// Guarded by `condition`. Frame stages feed the shedder; interpretation does
    /// not (it yields to frames and reports its own timeouts).
    private func recordLoad(of job: Job, finishedAt end: UInt64) {
        let work: LoadShedder.Work
        switch job.stage {
        case .scene: work = .shedAt(.skipSceneScoring)
        case .ground: work = .essential
        case .interpret: return
        }
        let budget = job.deadlineNs > job.originNs ? job.deadlineNs - job.originNs : 1
        let latency = end > job.originNs ? end - job.originNs : 0
        shedder.record(load: Double(latency) / Double(budget), atNs: end, work: work)
    }
}
