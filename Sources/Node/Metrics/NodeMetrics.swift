import Prometheus
public import SightlineProtocol

/// The `status` figures in the Prometheus text format, for the metrics endpoint.
/// Each scrape takes a fresh status and sets the gauges from it, so the two never disagree.
public final class NodeMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()

    public init() {}

    public func render(_ status: StatusMessage) -> String {
        func gauge(_ name: String, _ value: Double, _ labels: [(String, String)] = [], help: String) {
            let descriptor = MetricNameDescriptor(namespace: "sightline", metricName: name, unitName: "", helpText: help)
            registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
        }
        gauge("uptime_seconds", status.uptimeS, help: "Seconds since the node started")
        gauge("camera_up", status.camera.state == .ok ? 1 : 0, [("state", status.camera.state.rawValue)], help: "1 while frames arrive")
        gauge("camera_fps", status.camera.fps, help: "Frames per second from the source over the last status interval")
        gauge("frames_received", Double(status.frames.received), help: "Frames delivered by the source")
        gauge("frames_processed", Double(status.frames.processed), help: "Frames scene scoring completed")
        gauge("frames_dropped", Double(status.frames.dropped), help: "Frames replaced, expired or shed")
        for (queue, depth) in status.queueDepths {
            gauge("queue_depth", Double(depth), [("queue", queue)], help: "Current depth of each queue")
        }
        for (stage, p) in status.latencyMs {
            for (quantile, value) in [("0.5", p.p50), ("0.9", p.p90), ("0.99", p.p99), ("1", p.max)] {
                gauge("stage_latency_ms", value, [("stage", stage), ("quantile", quantile)], help: "Per-stage latency percentiles since start, ms")
            }
            gauge("stage_completed", Double(p.count), [("stage", stage)], help: "Jobs completed per stage")
        }
        for (stage, misses) in status.deadlineMisses {
            gauge("deadline_misses", Double(misses), [("stage", stage)], help: "Deadline misses per stage")
        }
        gauge("publisher_drops", Double(status.publisherDrops), help: "Messages a slow subscriber missed")
        gauge("commands_accepted", Double(status.commands.accepted), help: "Commands accepted")
        for (reason, count) in status.commands.rejected {
            gauge("commands_rejected", Double(count), [("reason", reason)], help: "Commands rejected, by reason")
        }
        gauge("shedding_level", Double(status.shedding), help: "0 none, 1 skip scene scoring, 2 lower grounding resolution, 3 reject commands")
        if let changes = status.sheddingChanges {
            gauge("shedding_changes", Double(changes), help: "Shedding level changes since start, up or down")
        }
        if let core = status.blasCore {
            let features = (status.cpuFeatures ?? []).joined(separator: ",")
            gauge("build_info", 1, [("blas_core", core), ("cpu_features", features)],
                  help: "Always 1; the labels say which OpenBLAS kernels and CPU features this node runs")
        }
        return registry.emitToString()
    }
}
