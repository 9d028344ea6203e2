/// What a job reports after running one step.
public enum JobStep: Sendable {
    /// The job is complete.
    case finished
    /// The job has more to do (the next prefill chunk or decode token). It goes
    /// back into the queue with the same deadline, so any job due earlier (a
    /// camera frame) runs before its next step.
    case yield
}

/// Why a job ended without running to completion.
public enum JobDisposal: Sendable, Equatable {
    /// A newer job with the same mailbox key replaced it before it started.
    case replaced
    /// Its deadline had passed before it could start and its policy drops late work.
    case expired
    /// The executor shut down first.
    case shutdown
}

/// What to do with a job whose deadline has already passed when it reaches the
/// front of the queue.
public enum LatePolicy: Sendable {
    /// Run it anyway; the miss is counted when it finishes. For work a client
    /// is waiting on and that reports its own timeout (interpretation).
    case run
    /// Drop it and count the miss. For frame work: a newer frame is coming.
    case drop
}

/// One unit of schedulable work. `step` runs on the executor's thread and may
/// block (BLAS, model inference); it must not await.
public struct Job: Sendable {
    public let stage: Stage
    /// Absolute CLOCK_MONOTONIC deadline in nanoseconds.
    public let deadlineNs: UInt64
    /// When the work became known (for a frame job, the capture time): the start
    /// of the latency this job's stage histogram records.
    public let originNs: UInt64
    /// Jobs with the same key share a one-slot mailbox: submitting a new one
    /// replaces the pending one, so frames never form a backlog.
    public let mailboxKey: String?
    public let latePolicy: LatePolicy
    public let step: @Sendable () -> JobStep
    /// Called once if the job ends without finishing (replaced, expired, shutdown).
    public let disposed: (@Sendable (JobDisposal) -> Void)?

    public init(
        stage: Stage, deadlineNs: UInt64, originNs: UInt64, mailboxKey: String? = nil,
        latePolicy: LatePolicy = .run, disposed: (@Sendable (JobDisposal) -> Void)? = nil,
        step: @escaping @Sendable () -> JobStep
    ) {
        self.stage = stage
        self.deadlineNs = deadlineNs
        self.originNs = originNs
        self.mailboxKey = mailboxKey
        self.latePolicy = latePolicy
        self.step = step
        self.disposed = disposed
    }
}
