import ArgumentParser
import Foundation
import Messaging

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a CURVE key pair for a node or a client.",
        discussion: """
            Debian's libzmq packages do not ship libzmq's curve_keygen tool, so this does the same with \
            zmq_curve_keypair. With --out PREFIX it writes PREFIX.key (public certificate: give it to peers, \
            or append it to a node's allow-list) and PREFIX.key_secret (mode 600, keep it private), in the \
            text format of czmq's zcert. Without --out it prints the secret certificate. See docs/protocol.md.
            """)

    @Option(help: ArgumentHelp("Write PREFIX.key and PREFIX.key_secret.", valueName: "prefix"))
    var out: String?

    @Flag(help: "Overwrite existing key files.")
    var force = false

    func run() throws {
        let keys = try CurveKeyPair.generate()
        guard let out else {
            print(CurveKeyFile.text(keys, includeSecret: true), terminator: "")
            return
        }
        let publicPath = out + ".key", secretPath = out + ".key_secret"
        for path in [publicPath, secretPath] where !force && FileManager.default.fileExists(atPath: path) {
            throw CommandFailure("\(path) exists; use --force to replace it")
        }
        try write(CurveKeyFile.text(keys, includeSecret: true), to: secretPath, permissions: 0o600)
        try write(CurveKeyFile.text(keys, includeSecret: false), to: publicPath, permissions: 0o644)
        print("public key \(keys.publicKey)")
        print("wrote \(publicPath) and \(secretPath)")
    }

    private func write(_ text: String, to path: String, permissions: Int) throws {
        // Created with its final permissions, so the secret is never world-readable, even briefly.
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: permissions]) else {
            throw CommandFailure("cannot write \(path)")
        }
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
    }
}
