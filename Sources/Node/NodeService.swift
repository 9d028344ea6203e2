import Foundation
public import Logging
public import Messaging
public import Scheduling
public import ServiceLifecycle
import SightlineProtocol

/// The node as a swift-service-lifecycle `Service`.
///
/// `run()` starts the compute executor, the capture thread, the command socket
/// and the status heartbeat. On graceful shutdown (SIGINT or SIGTERM through
/// the `ServiceGroup`) it stops intake (queued commands are answered `busy`),
/// cancels the interpretation in flight, stops the source, lets the running job
/// finish, publishes a final status and closes the sockets with linger.
public final class NodeService: Service, @unchecked Sendable {
    public struct Parts: Sendable {
        public var executor: ComputeExecutor
        public var pipeline: FramePipeline
        public var intents: IntentEngine
        public var commandServer: CommandServer
        public var publisher: Publisher
        public var status: StatusReporter
        public var metricsPort: Int?
        /// The IPv4 address the metrics endpoint listens on (loopback unless configured otherwise).
        public var metricsHost: String
        public var statusIntervalS: Double

        public init(executor: ComputeExecutor, pipeline: FramePipeline, intents: IntentEngine,
                    commandServer: CommandServer, publisher: Publisher, status: StatusReporter,
                    metricsPort: Int?, metricsHost: String = "127.0.0.1", statusIntervalS: Double = 1) {
            self.executor = executor
            self.pipeline = pipeline
            self.intents = intents
            self.commandServer = commandServer
            self.publisher = publisher
            self.status = status
            self.metricsPort = metricsPort
            self.metricsHost = metricsHost
            self.statusIntervalS = statusIntervalS
        }
    }

    private let parts: Parts
    private let logger: Logger
    private let lock = NSLock()
    private var stopping = false
    private let metrics = NodeMetrics()
    /// The metrics endpoint's bound port once running (tests ask for port 0).
    public private(set) var metricsEndpoint: MetricsEndpoint?

    public init(parts: Parts, logger: Logger) {
        self.parts = parts
        self.logger = logger
    }

    public func run() async throws {
        let p = parts
        p.executor.start()
        if let port = p.metricsPort {
            let status = p.status, metrics = self.metrics
            let endpoint = try MetricsEndpoint(host: p.metricsHost, port: port) { metrics.render(status.status()) }
            lock.withLock { metricsEndpoint = endpoint }
            logger.info("metrics on http://\(endpoint.host):\(endpoint.port)/metrics")
        }
        p.pipeline.start()
        logger.info("node running: commands on \(p.commandServer.endpoint), publishing on \(p.publisher.endpoint)")

        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await p.commandServer.run() }
                group.addTask { for await command in p.commandServer.commands { p.intents.handle(command) } }
                group.addTask { for await command in p.commandServer.urgentCommands { p.intents.handle(command) } }
                group.addTask { for await cancel in p.commandServer.cancellations { p.intents.cancel(cancel) } }
                group.addTask { [self] in await heartbeat() }
                try await group.waitForAll()
            }
        } onGracefulShutdown: { [self] in
            logger.info("shutting down: no new commands")
            lock.withLock { stopping = true }
            p.commandServer.shutdown()
        }

        p.intents.shutdown()
        p.pipeline.stop()
        p.executor.shutdown()
        publishStatus()
        metricsEndpoint?.stop()
        p.publisher.close()
        logger.info("node stopped")
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Publishes `status` every interval until shutdown (ticks of 50 ms notice it quickly).
    private func heartbeat() async {
        let interval = Duration.milliseconds(Int(parts.statusIntervalS * 1000))
        let clock = ContinuousClock()
        var next = clock.now + interval
        while !isStopping {
            try? await Task.sleep(for: .milliseconds(50))
            if clock.now >= next {
                publishStatus()
                next += interval
            }
        }
    }

    private func publishStatus() {
        do {
            try parts.publisher.publish(.status, parts.status.status())
        } catch {
            logger.error("publishing status: \(error)")
        }
    }
}
