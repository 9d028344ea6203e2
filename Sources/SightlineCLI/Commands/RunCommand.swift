import ArgumentParser
import Foundation
import ThreadSupport
import LaunchConfig
import Logging
import Node
import ServiceLifecycle
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the perception node described by a launch file.",
        discussion: """
            Frames come from the launch file's camera or recording; CLIP scores the scene vocabulary \
            and grounds what commands ask for; commands arrive on the ROUTER socket and grounded \
            intents, scene scores and a status heartbeat leave on the PUB socket (docs/protocol.md). \
            SIGINT or SIGTERM shut the node down cleanly. --set overrides any launch key, for example \
            --set source.replay.loop=false --set budgets_ms.ground=300.
            """)

    @Argument(help: "The launch file (YAML), e.g. Launch/demo.yaml.")
    var launch: String

    @Option(name: .customLong("set"), help: "Override a launch key: KEY.PATH=VALUE (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Check the launch file and the files it names, print the resolved configuration, and exit.")
    var check = false

    func run() async throws {
        let configuration: LaunchConfiguration
        do {
            configuration = try LaunchConfiguration.load(path: launch, overrides: overrides)
            try configuration.checkFiles()
        } catch {
            throw CommandFailure(error.description)
        }
        if check {
            print(configuration.json)
            return
        }
        // The logging system is bootstrapped once at start (stderr); the launch file sets the level.
        var logger = Logger(label: "sightline.node")
        logger.logLevel = configuration.logLevel
        // Loading models is long blocking work: keep it off the cooperative pool.
        let node = try await onDedicatedThread("sightline.load") { [logger] in try NodeAssembly.build(configuration, logger: logger) }
        let group = ServiceGroup(services: [node], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
