public import Capture
import CPUSupport
import Foundation
public import Messaging
public import Scheduling
public import SightlineProtocol

/// Assembles the `status` heartbeat from every part of the node.
public struct StatusReporter: Sendable {
    let startedNs: UInt64
    let models: [String: String]
    let source: any FrameSource
    let pipeline: FramePipeline
    let executor: ComputeExecutor
    let commandServer: CommandServer
    let publisher: Publisher
    let intents: IntentEngine
    let clock: any CaptureClock

    private final class FPSMeter: @unchecked Sendable {
        let lock = NSLock()
        var last: (frames: UInt64, ns: UInt64)?
    }
    private let meter = FPSMeter()

    public init(models: [String: String], source: any FrameSource, pipeline: FramePipeline, executor: ComputeExecutor,
                commandServer: CommandServer, publisher: Publisher, intents: IntentEngine, clock: any CaptureClock) {
        self.models = models
        self.source = source
        self.pipeline = pipeline
        self.executor = executor
        self.commandServer = commandServer
        self.publisher = publisher
        self.intents = intents
        self.clock = clock
        startedNs = clock.monotonicNs()
    }

    public func status() -> StatusMessage {
        let now = clock.now()
        let counters = pipeline.counters
        let sourceStatistics = source.statistics
        let snapshot = executor.snapshot()
        let commands = commandServer.statistics()
        let fps = meter.lock.withLock { () -> Double in
            defer { meter.last = (counters.framesIn, now.monotonicNs) }
            guard let last = meter.last, now.monotonicNs > last.ns else { return 0 }
            return Double(counters.framesIn - last.frames) / (Double(now.monotonicNs - last.ns) / 1e9)
        }
        let camera: StatusMessage.Camera
        switch source.health {
        case .starting: camera = .init(state: .starting, fps: fps)
        case .streaming: camera = .init(state: fps > 0 ? .ok : .stalled, fps: fps)
        case .disconnected(let reason): camera = .init(state: .disconnected, detail: reason, fps: fps)
        case .ended: camera = .init(state: .stopped, detail: "the recording ended", fps: fps)
        case .stopped: camera = .init(state: .stopped, fps: fps)
        }
        var latency: [String: StatusMessage.Percentiles] = [:]
        var misses: [String: UInt64] = [:]
        var dropped = sourceStatistics.dropped + counters.scenesShed
        for (stage, summary) in snapshot.stages {
            latency[stage.rawValue] = .init(count: summary.completed, p50: summary.p50Ms, p90: summary.p90Ms,
                                            p99: summary.p99Ms, max: summary.maxMs)
            misses[stage.rawValue] = summary.deadlineMisses
            if stage == .scene { dropped += summary.replaced + summary.expired }
        }
        return StatusMessage(
            realtimeNs: now.realtimeNs, uptimeS: Double(now.monotonicNs - startedNs) / 1e9, camera: camera,
            frames: .init(received: counters.framesIn, processed: counters.scenesScored, dropped: dropped),
            queueDepths: [
                "commands": commandServer.commands.count + intents.waitingCount,
                "scene": snapshot.stages[.scene]?.pending ?? 0,
                "ground": snapshot.stages[.ground]?.pending ?? 0,
                "interpret": snapshot.stages[.interpret]?.pending ?? 0,
                "active_intents": intents.activeCount,
            ],
            latencyMs: latency, deadlineMisses: misses, publisherDrops: publisher.statistics().drops,
            commands: .init(accepted: commands.accepted,
                            rejected: Dictionary(uniqueKeysWithValues: commands.rejected.map { ($0.key.rawValue, $0.value) })),
            shedding: snapshot.shedLevel.rawValue, sheddingChanges: snapshot.shedChanges, models: models,
            blasCore: OpenBLASRuntime.coreName, cpuFeatures: CPUFeatures.current.kernelFeatures)
    }
}
