public import Capture
import Foundation
public import Logging
public import Scheduling

/// Moves frames from the source to the compute executor.
///
/// A dedicated thread blocks in `nextFrame()` (V4L2 dequeue or replay timing)
/// and hands each frame to the executor through the `scene` mailbox, so a slow
/// model never builds a backlog: an unscored frame is simply replaced by the
/// next one. The newest frame is also kept for the interpreter and grounding.
/// While the node sheds scene scoring, a probe frame still goes through now and
/// then (`SceneCadence`), so the shedder keeps hearing how scene work fares.
public final class FramePipeline: @unchecked Sendable {
    public struct Settings: Sendable {
        /// Capture-to-scores budget of a scene job; its deadline is capture time + budget.
        public var sceneBudgetNs: UInt64
        /// Scene scoring at most this often (0: every frame the executor admits).
        public var sceneIntervalNs: UInt64
        /// While scene scoring is shed, one frame this often is still scored as a
        /// probe, so the shedder hears whether scene work would fit again.
        public var sceneProbeIntervalNs: UInt64

        public init(sceneBudgetNs: UInt64, sceneIntervalNs: UInt64, sceneProbeIntervalNs: UInt64 = 1_000_000_000) {
            self.sceneBudgetNs = sceneBudgetNs
            self.sceneIntervalNs = sceneIntervalNs
            self.sceneProbeIntervalNs = sceneProbeIntervalNs
        }
    }

    public struct Counters: Sendable, Equatable {
        public var framesIn: UInt64 = 0
        public var scenesScored: UInt64 = 0
        /// Scene scoring skipped because the node was shedding load.
        public var scenesShed: UInt64 = 0
        /// Frames scored as probes while scene scoring was shed (also in `scenesScored` once scored).
        public var sceneProbes: UInt64 = 0
        public var sceneErrors: UInt64 = 0
        public var sourceErrors: UInt64 = 0
    }

    public let source: any FrameSource
    private let executor: ComputeExecutor
    private let scorer: SceneScorer?
    private let settings: Settings
    private let clock: any CaptureClock
    private let logger: Logger
    private let publishScene: @Sendable (SceneScores) -> Void
    private let frameListener: (@Sendable (Frame) -> Void)?

    private let lock = NSLock()
    private var latest: Frame?
    private var tally = Counters()
    private var cadence: SceneCadence
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    public init(
        source: any FrameSource, executor: ComputeExecutor, scorer: SceneScorer?, settings: Settings,
        clock: any CaptureClock = SystemClock(), logger: Logger,
        frameListener: (@Sendable (Frame) -> Void)? = nil,
        publishScene: @escaping @Sendable (SceneScores) -> Void
    ) {
        self.source = source
        self.executor = executor
        self.scorer = scorer
        self.settings = settings
        cadence = SceneCadence(intervalNs: settings.sceneIntervalNs, probeIntervalNs: settings.sceneProbeIntervalNs)
        self.clock = clock
        self.logger = logger
        self.frameListener = frameListener
        self.publishScene = publishScene
    }

    /// The newest frame the source delivered, if any.
    public var latestFrame: Frame? { lock.withLock { latest } }
    public var counters: Counters { lock.withLock { tally } }

    /// Starts the capture thread.
    public func start() {
        lock.withLock { started = true }
        let thread = Thread { [self] in
            captureLoop()
            finished.signal()
        }
        thread.name = "sightline-capture"
        thread.start()
    }

    /// Stops the source and waits for the capture thread to end.
    public func stop() {
        source.stop()
        if lock.withLock({ started }) { finished.wait() }
    }

    private func captureLoop() {
        while true {
            let frame: Frame?
            do {
                frame = try source.nextFrame()
            } catch {
                // Sources recover from what they can (a camera reconnects); an error here
                // is reported and the loop goes on until the source says it has ended.
                lock.withLock { tally.sourceErrors += 1 }
                logger.error("frame source \(source.sourceID): \(error)")
                clock.sleep(nanoseconds: 100_000_000)
                continue
            }
            guard let frame else { break }
            let level = executor.shedLevel
            let submitScene = lock.withLock { () -> Bool in
                latest = frame
                tally.framesIn += 1
                guard scorer != nil else { return false }
                switch cadence.decide(capturedNs: frame.capture.monotonicNs, level: level) {
                case .score: return true
                case .probe:
                    tally.sceneProbes += 1
                    return true
                case .tooSoon: return false
                case .shed:
                    tally.scenesShed += 1
                    return false
                }
            }
            frameListener?(frame)
            if submitScene { submitSceneJob(for: frame) }
        }
        logger.info("frame source \(source.sourceID) ended: \(source.health)")
    }

    private func submitSceneJob(for frame: Frame) {
        guard let scorer else { return }
        let origin = frame.capture.monotonicNs
        executor.submit(Job(
            stage: .scene, deadlineNs: origin + settings.sceneBudgetNs, originNs: origin,
            mailboxKey: "scene", latePolicy: .drop
        ) { [self] in
            do {
                let scores = try scorer.score(frame, clock: clock)
                lock.withLock { tally.scenesScored += 1 }
                publishScene(scores)
            } catch {
                lock.withLock { tally.sceneErrors += 1 }
                logger.warning("scene scoring of frame \(frame.seq) failed: \(error)")
            }
            return .finished
        })
    }
}
