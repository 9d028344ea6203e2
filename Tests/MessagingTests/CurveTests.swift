import Foundation
import Messaging
import SightlineProtocol
import Testing

@Suite("CURVE and ZAP over real ZeroMQ on loopback", .enabled(if: ZMQContext.hasCurve, "libzmq built without CURVE"))
struct CurveTests {
    @Test("Only a client whose key is on the allow-list gets an answer")
    func allowList() async throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let allowedKeys = try CurveKeyPair.generate()
        let unknownKeys = try CurveKeyPair.generate()
        let authenticator = try ZAPAuthenticator(context: context, allowedKeys: [allowedKeys.publicKey])
        defer { authenticator.stop() }
        let running = try RunningServer(context, curve: CurveServerOptions(keys: serverKeys, authenticator: authenticator))
        let endpoint = running.endpoint

        let allowedReply = try await blocking {
            try TestClient(context, endpoint: endpoint, curve: CurveClientOptions(keys: allowedKeys, serverPublicKey: serverKeys.publicKey))
                .request(#"{"id":"k1","text":"pick up the cup"}"#)
        }
        #expect(allowedReply == .accepted("k1"))
        // The command carries the client's key, which is also what rate limiting is keyed by.
        #expect(await next(running.server.commands, within: 10)?.client == "curve:\(allowedKeys.publicKey)")

        let unknownReply = try await blocking {
            try TestClient(context, endpoint: endpoint, curve: CurveClientOptions(keys: unknownKeys, serverPublicKey: serverKeys.publicKey))
                .request(#"{"id":"k2","text":"pick up the cup"}"#, timeoutMs: 1500)
        }
        #expect(unknownReply == nil, "an unknown key must get nothing")
        let plaintextReply = try await blocking {
            try TestClient(context, endpoint: endpoint).request(#"{"id":"k3","text":"pick up the cup"}"#, timeoutMs: 1500)
        }
        #expect(plaintextReply == nil, "a plaintext client must get nothing")
        #expect(running.server.statistics().accepted == 1)
        #expect(running.server.statistics().rejected.isEmpty, "refused clients never reach the server")
        #expect(authenticator.decisions.allowed >= 1)
        #expect(authenticator.decisions.denied >= 1)
        try await running.stop()
    }

    @Test("A refused client's handshake monitor says refused; an allowed one says succeeded")
    func handshakeMonitor() async throws {
        let context = try ZMQContext()
        let serverKeys = try CurveKeyPair.generate()
        let allowedKeys = try CurveKeyPair.generate()
        let authenticator = try ZAPAuthenticator(context: context, allowedKeys: [allowedKeys.publicKey])
        defer { authenticator.stop() }
        let publisher = try Publisher(context: context, configuration: {
            var configuration = PublisherConfiguration()
            configuration.endpoint = "tcp://127.0.0.1:*"
            configuration.curve = try CurveServerOptions(keys: serverKeys, authenticator: authenticator)
            return configuration
        }())
        defer { publisher.close() }
        func outcome(_ keys: CurveKeyPair) async throws -> HandshakeMonitor.Outcome {
            let endpoint = publisher.endpoint
            return try await blocking {
                let subscriber = try ZMQSocket(context, .sub)
                try subscriber.makeCurveClient(CurveClientOptions(keys: keys, serverPublicKey: serverKeys.publicKey))
                let monitor = try HandshakeMonitor(subscriber)
                try subscriber.connect(endpoint)
                return try monitor.wait(timeoutMs: 3000)
            }
        }
        #expect(try await outcome(allowedKeys) == .succeeded)
        #expect(try await outcome(CurveKeyPair.generate()) == .refused)
    }

    @Test("Key files round-trip in the zcert text format; bad files are errors naming the problem")
    func keyFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = try CurveKeyPair.generate()
        let secretFile = directory.appendingPathComponent("node.key_secret").path
        let publicFile = directory.appendingPathComponent("node.key").path
        try CurveKeyFile.text(keys, includeSecret: true).write(toFile: secretFile, atomically: true, encoding: .utf8)
        try CurveKeyFile.text(keys, includeSecret: false).write(toFile: publicFile, atomically: true, encoding: .utf8)
        #expect(try CurveKeyFile.read(secretFile) == keys)
        #expect(try CurveKeyFile.read(publicFile) == CurveKeyPair(publicKey: keys.publicKey, secretKey: nil))
        // A file as czmq's zcert_save writes it, holding the server key pair from zmq_curve(7); reading it checks that the secret key derives the public key.
        let czmqFile = directory.appendingPathComponent("czmq.key_secret").path
        try """
            #   ****  Generated on 2026-01-01 00:00:00 by CZMQ  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
                name = "robot"
            curve
                public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
                secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
            """.write(toFile: czmqFile, atomically: true, encoding: .utf8)
        #expect(try CurveKeyFile.read(czmqFile).publicKey == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")

        let mismatched = directory.appendingPathComponent("mismatch").path
        let other = try CurveKeyPair.generate()
        try "public-key = \"\(keys.publicKey)\"\nsecret-key = \"\(other.secretKey!)\"\n".write(toFile: mismatched, atomically: true, encoding: .utf8)
        #expect { try CurveKeyFile.read(mismatched) } throws: { "\($0)".contains("does not belong") }
        let short = directory.appendingPathComponent("short").path
        try "public-key = \"abc\"\n".write(toFile: short, atomically: true, encoding: .utf8)
        #expect { try CurveKeyFile.read(short) } throws: { "\($0)".contains("40 Z85 characters") }
        #expect { try CurveKeyFile.read(directory.appendingPathComponent("missing").path) } throws: { "\($0)".contains("cannot read") }

        let allowList = directory.appendingPathComponent("allowed").path
        try "# operators\n\(keys.publicKey)\n\n" .appending(CurveKeyFile.text(other, includeSecret: false))
            .write(toFile: allowList, atomically: true, encoding: .utf8)
        #expect(try CurveAllowList.read(allowList) == [keys.publicKey, other.publicKey])
        try "\(keys.publicKey)\nsecret-key = \"\(other.secretKey!)\"\n".write(toFile: allowList, atomically: true, encoding: .utf8)
        #expect { try CurveAllowList.read(allowList) } throws: { "\($0)".contains(":2: a secret key does not belong") }
    }
}
