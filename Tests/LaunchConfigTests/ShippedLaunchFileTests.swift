import Capture
import Foundation
import Kernels
import LaunchConfig
import Logging
import TestSupport
import Testing

/// Launch/demo.yaml and Launch/webcam.yaml parse, validate and resolve to what they say.
@Suite struct ShippedLaunchFileTests {
    static func launchFile(_ name: String) -> String { RepositoryPaths.root.appendingPathComponent("Launch/\(name)").path }
    static func inRepository(_ path: String) -> String { RepositoryPaths.root.appendingPathComponent(path).standardized.path }
    static let home = "/home/robot"

    static func load(_ name: String, overrides: [String] = []) throws -> LaunchConfiguration {
        let file = launchFile(name)
        var parsed: [LaunchOverride] = []
        for argument in overrides { parsed.append(try LaunchOverride(argument)) }
        return try LaunchConfiguration.parse(
            yaml: try String(contentsOfFile: file, encoding: .utf8), file: file, overrides: parsed, home: home)
    }

    @Test func demo() throws {
        let demo = try Self.load("demo.yaml")
        let replay = LaunchConfiguration.Replay(path: Self.inRepository("Recordings/demo"), mode: .fixed, fps: 30, loop: true)
        #expect(demo.source == .replay(replay))
        #expect(replay.options == ReplayOptions(timing: .fixed(fps: 30), loop: true))
        #expect(demo.models.clip == Self.inRepository("Models/demo-clip"))
        #expect(demo.models.interpreter == "/home/robot/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        #expect(demo.models.mmproj == nil)
        #expect(demo.models.precision == .fp32)
        #expect(demo.endpoints == LaunchConfiguration.Endpoints(commands: "tcp://127.0.0.1:5560", publish: "tcp://127.0.0.1:5561"))
        #expect(demo.keys == LaunchConfiguration.Keys(curve: false))
        #expect(demo.calibration == LaunchConfiguration.CalibrationFiles(camera: Self.inRepository("Calibration/example-640x480.yaml")))
        #expect(demo.budgets == LaunchConfiguration.Budgets(frame: 250, ground: 400, interpret: 4000, intentValidity: 1500))
        // The demo scores every phrase the demo CLIP was trained on.
        let trained = try String(contentsOfFile: Self.inRepository("Models/demo-clip/vocabulary.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(demo.scene.vocabulary == trained && demo.scene.publishHz == 2)
        #expect(demo.models.prompt == Self.inRepository("Launch/prompts/interpreter.yaml"))
        #expect(demo.intents == LaunchConfiguration.Intents(
            groundHz: 5, lifetimeS: 30, groundingMaxSide: 320, annotateDir: Self.inRepository("out/demo"), annotateLimit: 12))
        #expect(demo.actions.contains("pick") && demo.actions.contains("stop"))
        // Keys the file leaves out take their documented defaults.
        #expect(demo.limits == LaunchConfiguration.Limits(maxMessageBytes: 16384, maxTextChars: 500, queueDepth: 8, perClientRate: 5))
        #expect(demo.logLevel == .info)
    }

    @Test func intentsSectionIsValidated() throws {
        let base = "source: {replay: {path: r}}\nmodels: {clip: c}\n"
        let parsed = try LaunchConfiguration.parse(yaml: base + "intents: {window_scales: [0.3, 0.45], window_stride: 0.5, ground_hz: 2}", file: "/x/l.yaml")
        #expect(parsed.intents.windowScales == [0.3, 0.45] && parsed.intents.windowStride == 0.5 && parsed.intents.groundHz == 2)
        #expect(parsed.intents.lifetimeS == 30)
        #expect {
            try LaunchConfiguration.parse(yaml: base + "intents:\n  window_scales: [0.3, 1.5]", file: "/x/l.yaml")
        } throws: { "\($0)".contains("/x/l.yaml:4") && "\($0)".contains("intents.window_scales") }
        #expect {
            try LaunchConfiguration.parse(yaml: base + "intents:\n  ground_hertz: 2", file: "/x/l.yaml")
        } throws: { "\($0)".contains("/x/l.yaml:4") && "\($0)".contains("ground_hertz") }
    }

    /// A launch file named relative to the working directory resolves its paths from its own folder.
    @Test func relativeLaunchFilePath() throws {
        let text = "source: {replay: {path: ../Recordings/demo}}\nmodels: {clip: clip}"
        let configuration = try LaunchConfiguration.parse(yaml: text, file: "Launch/x.yaml")
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        #expect(configuration.source == .replay(.init(path: cwd.appendingPathComponent("Recordings/demo").standardized.path)))
        #expect(configuration.models.clip == cwd.appendingPathComponent("Launch/clip").standardized.path)
    }

    @Test func webcam() throws {
        let webcam = try Self.load("webcam.yaml")
        guard case .v4l2(let camera) = webcam.source else {
            Issue.record("webcam.yaml should use a V4L2 camera")
            return
        }
        #expect(camera.configuration == CameraConfiguration(
            device: "/dev/video0", request: CaptureRequest(width: 640, height: 480, fps: 30, format: .mjpeg),
            controls: ["power_line_frequency": .text("50Hz")]))
        #expect(webcam.keys.curve)
        #expect(webcam.keys.serverSecretKey == "/home/robot/.config/sightline/keys/server.key_secret")
        #expect(webcam.keys.allowedClients == "/home/robot/.config/sightline/keys/allowed_clients")
        #expect(webcam.models.clip == "/home/robot/models/clip-vit-base-patch32")
        #expect(webcam.models.mmproj != nil && webcam.models.interpreter != nil)
        #expect(webcam.models.precision == .bf16)
        #expect(webcam.endpoints.commands == "tcp://*:5560")
        #expect(webcam.calibration?.baseTransform == Self.inRepository("Calibration/example-base-transform.yaml"))
    }

    /// Parsing never looks at the disk; checkFiles does, and names every missing file by key.
    @Test func filesAreCheckedSeparately() throws {
        let webcam = try Self.load("webcam.yaml")
        let error = #expect(throws: LaunchError.self) { try webcam.checkFiles() }
        guard case .missingFiles(_, let missing)? = error else { return }
        #expect(missing.map(\.keyPath) == [
            "models.clip", "models.interpreter", "models.mmproj",
            "keys.server_secret_key", "keys.allowed_clients",
        ])
    }

    @Test func checkFilesPassesWhenEverythingExists() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("launch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("clip"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["lm.gguf", "camera.yaml"] {
            #expect(FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data()))
        }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("rec"), withIntermediateDirectories: true)
        let text = """
            source: {replay: {path: rec}}
            models: {clip: clip, interpreter: lm.gguf}
            calibration: {camera: camera.yaml}
            """
        let launch = folder.appendingPathComponent("node.yaml").path
        #expect(FileManager.default.createFile(atPath: launch, contents: Data(text.utf8)))
        let configuration = try LaunchConfiguration.load(path: launch)
        try configuration.checkFiles()
        #expect(configuration.models.interpreter == folder.appendingPathComponent("lm.gguf").path)
    }

    @Test func jsonShowsTheResolvedConfiguration() throws {
        let demo = try Self.load("demo.yaml", overrides: ["models.threads=1"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(demo.json.utf8)) as? [String: Any])
        let source = try #require(object["source"] as? [String: Any])
        let replay = try #require(source["replay"] as? [String: Any])
        #expect(replay["fps"] as? Double == 30 && replay["mode"] as? String == "fixed")
        let models = try #require(object["models"] as? [String: Any])
        #expect(models["threads"] as? Int == 1 && models["precision"] as? String == "fp32")
        #expect(object["log_level"] as? String == "info")
        #expect((object["budgets_ms"] as? [String: Any])?["intent_validity"] as? Double == 1500)
    }
}
