import Foundation
import TestSupport
import Testing

/// Runs the built `sightline` binary the way a user would.
struct CLI {
    /// The binary runs from the checkout, so tests name files relative to it.
    static let repository = RepositoryPaths.root

    /// The binary sits next to the test bundle in the build folder.
    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("sightline")
    }()

    typealias Result = ProcessOutput

    static func run(_ arguments: [String]) throws -> Result {
        try runToCompletion(binary, arguments, in: repository)
    }
}

extension CLI.Result {
    /// A refused command line: no crash, a failing exit, and one stderr line that mentions
    /// `mention` (and, when `prefixed`, starts the way argument-parser errors do).
    func expectOneClearErrorLine(
        mentioning mention: String, prefixed: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!crashed, sourceLocation: sourceLocation)
        #expect(status != 0, sourceLocation: sourceLocation)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(stderr)", sourceLocation: sourceLocation)
        if prefixed {
            #expect(lines.first?.hasPrefix("sightline: error: ") == true, sourceLocation: sourceLocation)
        }
        #expect(stderr.contains(mention), "stderr should mention \(mention): \(stderr)", sourceLocation: sourceLocation)
    }
}

@Suite("sightline command line")
struct CLITests {
    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: CLI.binary.path), "build the package first: \(CLI.binary.path)")
    }

    @Test func replayOfTheBundledRecordingAsJSON() throws {
        let result = try CLI.run(["replay", "Recordings/demo", "--fast", "--json", "--scale", "1/4"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let indexLines = try String(contentsOf: CLI.repository.appendingPathComponent("Recordings/demo/frames.jsonl"), encoding: .utf8)
            .split(separator: "\n").count
        #expect(lines.count == indexLines + 1)
        let summary = try #require(lines.last)
        #expect(summary["frames"] as? Int == indexLines)
        #expect(summary["skipped"] as? Int == 0)
        #expect((summary["fps"] as? Double ?? 0) > 0)
        let first = lines[0]
        #expect(first["seq"] as? Int == 1)
        #expect(first["width"] as? Int == 640)
        #expect(first["decoded_width"] as? Int == 160)
        #expect(first["recorded_realtime_ns"] as? Int != nil)
        #expect(first["decode_ms"] as? Double != nil)
    }

    @Test func replayNamesACorruptFrameAndGoesOn() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Data(contentsOf: CLI.repository.appendingPathComponent("Recordings/demo/000001.jpg"))
        try good.write(to: folder.appendingPathComponent("a.jpg"))
        try good.prefix(good.count / 3).write(to: folder.appendingPathComponent("b.jpg"))
        try good.write(to: folder.appendingPathComponent("c.jpg"))
        let result = try CLI.run(["replay", folder.path, "--fps", "200", "--json"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("b.jpg"))
        // Warnings go to stderr; stdout is nothing but JSON lines.
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)") }
        let summary = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as! [String: Any]
        #expect(summary["frames"] as? Int == 2)
        #expect(summary["skipped"] as? Int == 1)
    }

    @Test func textReplayPrintsALinePerFrameAndASummary() throws {
        let result = try CLI.run(["replay", "Recordings/demo", "--fast", "--frames", "5"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].contains("640x480") && lines[0].contains("decode"))
        #expect(lines[5].hasPrefix("5 frames, 0 skipped"))
    }

    @Test(arguments: [
        (["replay", "/no/such/folder"], "/no/such/folder"),
        (["replay"], "Missing expected argument"),
        (["replay", "Recordings/demo", "--fps", "0"], "--fps"),
        (["replay", "Recordings/demo", "--fps=-5"], "--fps"),
        (["replay", "Recordings/demo", "--fps", "fast"], "fast"),
        (["replay", "Recordings/demo", "--fast", "--fps", "10"], "choose one of"),
        (["replay", "Recordings/demo", "--scale", "3"], "--scale"),
        (["replay", "Recordings/demo", "--frames", "0"], "--frames"),
        (["replay", "Package.swift"], "not a folder"),
        (["record", "--out", "/tmp/x"], "--device"),
        (["record", "--device", "/dev/video99", "--out", "/tmp/sightline-never"], "/dev/video99"),
        (["record", "--device", "/dev/video0", "--out", "/tmp/x", "--size", "12"], "--size"),
        (["record", "--device", "/dev/video0", "--out", "/tmp/x", "--fps", "0"], "--fps"),
        (["record", "--device", "/dev/video0", "--out", "/tmp/x", "--seconds", "-1"], "--seconds"),
        (["record", "--device", "/dev/video0", "--out", "/tmp/x", "--seconds", "1", "--frames", "3"], "not both"),
        (["record", "--device", "/dev/video0", "--out", "/tmp/x", "--format", "h264"], "mjpeg or yuyv"),
        (["record", "--device", "/dev/video0", "--out", "/tmp/x", "--control", "gain"], "name=value"),
        (["devices", "--bogus"], "--bogus"),
        (["teleport"], "teleport"),
        (["bench", "capture", "--iterations", "0"], "--iterations"),
    ])
    func badInputIsOneClearLineAndAFailingExit(_ arguments: [String], _ mention: String) throws {
        try CLI.run(arguments).expectOneClearErrorLine(mentioning: mention)
    }

    @Test func devicesAsJSONIsAnArrayEvenWithoutCameras() throws {
        let result = try CLI.run(["devices", "--json"])
        #expect(result.status == 0)
        let devices = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.filter { $0.hasPrefix("video") } ?? []
        if nodes.isEmpty { #expect(devices.isEmpty) }
        for device in devices {
            #expect(device["path"] is String && device["card"] is String && device["formats"] is [Any])
        }
    }

    @Test func versionReportsTheLinkedLibraries() throws {
        let result = try CLI.run(["version", "--json"])
        #expect(result.status == 0)
        let versions = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((versions["openblas"] as? String)?.contains("OpenBLAS") == true)
        #expect((versions["zeromq"] as? String)?.hasPrefix("4.") == true)
    }

    @Test func helpIsReadable() throws {
        let result = try CLI.run(["replay", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--realtime") && result.stdout.contains("--fast") && result.stdout.contains("--json"))
    }
}
