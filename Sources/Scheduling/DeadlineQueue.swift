internal import HeapModule

/// Earliest-deadline-first queue with one-slot mailboxes: a job submitted with
/// the key of a pending job replaces it. Not thread-safe; the executor guards it.
struct DeadlineQueue {
    private struct Entry: Comparable {
        let deadlineNs: UInt64
        /// Submission order, so equal deadlines run first-come first-served.
        let sequence: UInt64
        static func < (a: Entry, b: Entry) -> Bool {
            (a.deadlineNs, a.sequence) < (b.deadlineNs, b.sequence)
        }
    }

    private var heap = Heap<Entry>()
    /// Pending jobs by sequence. A heap entry without a job here was replaced
    /// and is skipped when it surfaces (lazy deletion).
    private var jobs: [UInt64: Job] = [:]
    private var sequenceByKey: [String: UInt64] = [:]
    private var nextSequence: UInt64 = 0
    private var pendingByStage: [Stage: Int] = [:]

    var count: Int { jobs.count }

    func pending(_ stage: Stage) -> Int { pendingByStage[stage, default: 0] }

    func hasPending(key: String) -> Bool { sequenceByKey[key] != nil }

    /// Adds `job`; returns the job it replaced from the same mailbox, if any.
    mutating func push(_ job: Job) -> Job? {
        var replaced: Job?
        if let key = job.mailboxKey, let old = sequenceByKey[key], let oldJob = jobs.removeValue(forKey: old) {
            pendingByStage[oldJob.stage, default: 0] -= 1
            replaced = oldJob
        }
        let sequence = nextSequence
        nextSequence += 1
        jobs[sequence] = job
        if let key = job.mailboxKey { sequenceByKey[key] = sequence }
        pendingByStage[job.stage, default: 0] += 1
        heap.insert(Entry(deadlineNs: job.deadlineNs, sequence: sequence))
        return replaced
    }

    /// Removes and returns the pending job with the earliest deadline.
    mutating func popEarliest() -> Job? {
        while let entry = heap.popMin() {
            guard let job = jobs.removeValue(forKey: entry.sequence) else { continue }
            if let key = job.mailboxKey, sequenceByKey[key] == entry.sequence {
                sequenceByKey[key] = nil
            }
            pendingByStage[job.stage, default: 0] -= 1
            return job
        }
        return nil
    }

    /// Removes every pending job (at shutdown).
    mutating func removeAll() -> [Job] {
        var all: [Job] = []
        while let job = popEarliest() { all.append(job) }
        return all
    }
}
