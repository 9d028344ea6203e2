import LaunchConfig
import Testing

/// The metrics endpoint has no authentication, so it listens where the command socket does and
/// only on loopback under CURVE, unless `metrics.address` says otherwise (issue 13, fault 6).
@Suite struct MetricsAddressTests {
    static func metrics(_ overrides: [String]) throws -> LaunchConfiguration.Metrics {
        try LaunchValidationTests.parse(LaunchValidationTests.base, overrides: overrides).metrics
    }

    @Test(arguments: [
        ("tcp://127.0.0.1:5555", "127.0.0.1"),
        ("tcp://*:5555", "0.0.0.0"),
        ("tcp://192.0.2.7:5555", "192.0.2.7"),
        ("tcp://localhost:5555", "127.0.0.1"),
        ("tcp://eth0:5555", "127.0.0.1"),
        ("tcp://[::1]:5555", "127.0.0.1"),
        ("ipc:///tmp/sightline-commands", "127.0.0.1"),
    ])
    func followsTheCommandEndpoint(_ commands: String, _ address: String) throws {
        #expect(try Self.metrics(["endpoints.commands=\(commands)"]).address == address)
    }

    @Test func theDefaultEndpointsListenEverywhereSoDoTheMetrics() throws {
        #expect(try Self.metrics([]).address == "0.0.0.0")
    }

    @Test func curveKeepsTheMetricsOnLoopback() throws {
        let curve = ["keys.curve=true", "keys.server_secret_key=node.key_secret", "keys.allowed_clients=allowed"]
        #expect(try Self.metrics(curve + ["endpoints.commands=tcp://*:5555"]).address == "127.0.0.1")
        #expect(try Self.metrics(curve + ["endpoints.commands=tcp://*:5555", "metrics.address=0.0.0.0"]).address == "0.0.0.0")
    }

    @Test func anExplicitAddressWins() throws {
        #expect(try Self.metrics(["endpoints.commands=tcp://*:5555", "metrics.address=127.0.0.1"]).address == "127.0.0.1")
    }

    @Test(arguments: ["localhost", "256.0.0.1", "1.2.3", "::1", "0x7f.0.0.1", "1.2.3.4.5", "１.2.3.4"])
    func anAddressMustBeIPv4(_ address: String) throws {
        #expect(throws: (any Error).self) { try Self.metrics(["metrics.address=\(address)"]) }
    }
}
