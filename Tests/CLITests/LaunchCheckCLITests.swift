import Foundation
import TestSupport
import Testing

/// `sightline launch-check`, run as a user would.
@Suite struct LaunchCheckCLITests {
    @Test func printsTheResolvedDemoConfiguration() throws {
        let result = try CLI.run(["launch-check", "Launch/demo.yaml", "--set", "models.threads=1"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let replay = (object["source"] as? [String: Any])?["replay"] as? [String: Any]
        #expect(replay?["path"] as? String == CLI.repository.appendingPathComponent("Recordings/demo").standardized.path)
        #expect(replay?["fps"] as? Double == 30 && replay?["loop"] as? Bool == true)
        #expect((object["models"] as? [String: Any])?["threads"] as? Int == 1)
    }

    @Test func aTypoIsReportedWithFileLineAndKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("launch-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("typo.yaml").path
        let text = "source:\n  replay:\n    path: rec\n    lop: true\nmodels: {clip: clip}\n"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(text.utf8)))
        let result = try CLI.run(["launch-check", file])
        #expect(result.status != 0 && !result.crashed)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("sightline: error: \(file):4: source.replay.lop: unknown key"), "\(result.stderr)")
    }

    @Test func filesFlagChecksTheCalibrationAgainstTheStreamSize() throws {
        let result = try CLI.run([
            "launch-check", "Launch/webcam.yaml", "--files", "--set", "keys.curve=false",
            "--set", "models.clip=/", "--set", "models.interpreter=Launch/webcam.yaml", "--set", "models.mmproj=Launch/demo.yaml",
            "--set", "source.v4l2.width=1280", "--set", "source.v4l2.height=720",
        ])
        #expect(result.status != 0 && !result.crashed)
        #expect(result.stderr.contains("is for 640x480 but the stream is 1280x720"), "\(result.stderr)")
    }
}
