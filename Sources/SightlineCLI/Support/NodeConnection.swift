import ArgumentParser
import Foundation
import Messaging

/// `--keys` and `--server-key`, shared by the commands that talk to a node.
struct ClientKeyOptions: ParsableArguments {
    @Option(name: .customLong("keys"), help: ArgumentHelp(
        "This client's CURVE key file (zcert text with public-key and secret-key), for a node with CURVE on.",
        valueName: "file"))
    var keyFile: String?

    @Option(help: ArgumentHelp(
        "The node's CURVE public key: 40 Z85 characters, or its public key file.", valueName: "key-or-file"))
    var serverKey: String?

    func validate() throws {
        if (keyFile == nil) != (serverKey == nil) {
            throw ValidationError("--keys and --server-key go together: CURVE needs both this client's keys and the node's public key")
        }
    }

    /// The CURVE options, or nil for a plaintext connection.
    func curve() throws -> CurveClientOptions? {
        guard let keyFile, let serverKey else { return nil }
        let keys = try CurveKeyFile.read(keyFile)
        let serverPublicKey = FileManager.default.fileExists(atPath: serverKey)
            ? try CurveKeyFile.read(serverKey).publicKey : serverKey
        return try CurveClientOptions(keys: keys, serverPublicKey: serverPublicKey)
    }
}

/// Opens a client socket and waits for its handshake, turning libzmq's silent
/// retrying into one clear error: bad endpoint, refused key, or nobody there.
func connectClient(
    _ context: ZMQContext, _ kind: ZMQSocket.Kind, to endpoint: String, curve: CurveClientOptions?,
    timeoutSeconds: Double, configure: (ZMQSocket) throws -> Void = { _ in }
) throws -> ZMQSocket {
    let socket = try ZMQSocket(context, kind)
    if let curve { try socket.makeCurveClient(curve) }
    try configure(socket)
    let monitor = try HandshakeMonitor(socket)
    do { try socket.connect(endpoint) } catch {
        throw CommandFailure("bad endpoint \"\(endpoint)\": \(error.message) (expected e.g. tcp://127.0.0.1:5560)")
    }
    switch try monitor.wait(timeoutMs: Int(timeoutSeconds * 1000)) {
    case .succeeded:
        return socket
    case .refused:
        throw CommandFailure("\(endpoint) refused this client: its public key is not on the node's allow-list, or --server-key is not the node's key")
    case .protocolError:
        throw CommandFailure("\(endpoint) did not complete a ZeroMQ handshake: "
            + (curve == nil ? "the node may require CURVE (--keys and --server-key)" : "wrong --server-key, or the node does not use CURVE"))
    case .timedOut:
        throw CommandFailure("no node answered at \(endpoint) within \(timeoutSeconds) s")
    }
}
