import Capture
import ConfigYAML
import Foundation
import LaunchConfig
import Logging
import TestSupport
import Testing

/// Bad launch files and bad overrides fail with the file, line and key path.
@Suite struct LaunchValidationTests {
    /// A valid file; the tests edit single lines of it (line numbers below are 1-based lines of this text).
    static let base = """
        version: 1
        source:
          v4l2:
            device: /dev/video0
            format: mjpeg
            width: 640
            height: 480
            fps: 30
        models:
          clip: clip-model
          threads: 2
        budgets_ms:
          frame: 250
        scene:
          vocabulary: [cup, bottle]
        """

    static func parse(_ text: String, overrides: [String] = []) throws -> LaunchConfiguration {
        var parsed: [LaunchOverride] = []
        for argument in overrides { parsed.append(try LaunchOverride(argument)) }
        return try LaunchConfiguration.parse(yaml: text, file: "/robot/launch/node.yaml", overrides: parsed, home: "/home/robot")
    }

    static func edited(line: Int, to replacement: String) -> String {
        var lines = base.components(separatedBy: "\n")
        lines[line - 1] = replacement
        return lines.joined(separator: "\n")
    }

    /// The YAML error a text must fail with.
    func fileError(_ text: String, overrides: [String] = []) -> YAMLFileError? {
        do {
            _ = try Self.parse(text, overrides: overrides)
            Issue.record("accepted")
        } catch LaunchError.file(let error) {
            #expect(error.file == "/robot/launch/node.yaml")
            return error
        } catch {
            Issue.record("unexpected \(error)")
        }
        return nil
    }

    @Test func baseIsValid() throws {
        let configuration = try Self.parse(Self.base)
        #expect(configuration.models.clip == "/robot/launch/clip-model")
        #expect(configuration.scene.vocabulary == ["cup", "bottle"])
    }

    @Test func unknownKeyGivesItsExactLine() {
        let error = fileError(Self.edited(line: 6, to: "    widht: 640"))
        #expect(error?.line == 6)
        #expect(error?.keyPath == "source.v4l2.widht")
        #expect(error?.description.hasPrefix("/robot/launch/node.yaml:6: source.v4l2.widht: unknown key (known here: ") == true)
    }

    @Test func unknownTopLevelKeyGivesItsLine() {
        let error = fileError(Self.base + "\nmetrcis:\n  port: 9000")
        #expect(error?.line == 16)
        #expect(error?.keyPath == "metrcis")
    }

    /// A misspelt required key is reported as the unknown key it is, not as the missing one.
    @Test func misspeltRequiredKeyIsReportedAsUnknown() {
        let error = fileError(Self.edited(line: 10, to: "  clipp: clip-model"))
        #expect(error?.line == 10 && error?.keyPath == "models.clipp")
        let topLevel = fileError(Self.edited(line: 9, to: "model:"))
        #expect(topLevel?.line == 9 && topLevel?.keyPath == "model")
    }

    @Test func badEnumValueListsTheChoices() {
        let error = fileError(Self.edited(line: 5, to: "    format: h264"))
        #expect(error?.line == 5)
        #expect(error?.keyPath == "source.v4l2.format")
        #expect(error?.message == "'h264' is not one of: mjpeg, yuyv")
    }

    @Test func negativeBudgetIsRefused() {
        let error = fileError(Self.edited(line: 13, to: "  frame: -5"))
        #expect(error?.line == 13)
        #expect(error?.keyPath == "budgets_ms.frame")
        #expect(error?.message == "must be positive, got -5.0")
    }

    @Test func wrongTypesAreNamed() {
        let threads = fileError(Self.edited(line: 11, to: "  threads: two"))
        #expect(threads?.keyPath == "models.threads" && threads?.message == "expected an integer, got 'two'")
        let quoted = fileError(Self.edited(line: 6, to: "    width: \"640\""))
        #expect(quoted?.keyPath == "source.v4l2.width" && quoted?.line == 6)
        let vocabulary = fileError(Self.edited(line: 15, to: "  vocabulary: cup"))
        #expect(vocabulary?.keyPath == "scene.vocabulary" && vocabulary?.message == "expected a list, got 'cup'")
        let label = fileError(Self.edited(line: 15, to: "  vocabulary: [cup, {a: 1}]"))
        #expect(label?.keyPath == "scene.vocabulary.1")
    }

    @Test func outOfRangeValuesAreRefused() {
        let threads = fileError(Self.edited(line: 11, to: "  threads: 0"))
        #expect(threads?.message == "must be between 1 and 64, got 0")
        let fps = fileError(Self.edited(line: 8, to: "    fps: .inf"))
        #expect(fps?.keyPath == "source.v4l2.fps")
    }

    @Test func missingRequiredKeyIsNamed() {
        let error = fileError(Self.base.replacingOccurrences(of: "  clip: clip-model\n", with: ""))
        #expect(error?.keyPath == "models.clip")
        #expect(error?.message == "missing (required)")
        #expect(error?.line == 9)
    }

    @Test func sourceNeedsExactlyOneKind() {
        let both = fileError(Self.base + "\n" + "extra: 1")
        #expect(both?.keyPath == "extra")
        let replayAndCamera = fileError(Self.base.replacingOccurrences(of: "source:\n", with: "source:\n  replay: {path: rec}\n"))
        #expect(replayAndCamera?.keyPath == "source" && replayAndCamera?.message == "give v4l2 or replay, not both")
        let fixedWithoutFPS = fileError("source: {replay: {path: rec, mode: fixed}}\nmodels: {clip: c}")
        #expect(fixedWithoutFPS?.keyPath == "source.replay.mode")
    }

    @Test func curveNeedsItsKeyFiles() {
        let error = fileError(Self.base + "\nkeys:\n  curve: true\n  server_secret_key: server.key")
        #expect(error?.keyPath == "keys.curve" && error?.line == 17)
    }

    @Test func endpointsAreChecked() {
        let scheme = fileError(Self.base + "\nendpoints: {commands: 'http://x:1'}")
        #expect(scheme?.keyPath == "endpoints.commands")
        let port = fileError(Self.base + "\nendpoints: {commands: 'tcp://*:99999'}")
        #expect(port?.keyPath == "endpoints.commands")
        let same = fileError(Self.base + "\nendpoints: {commands: 'tcp://*:7000', publish: 'tcp://*:7000'}")
        #expect(same?.keyPath == "endpoints.publish")
    }

    @Test func duplicateKeysAreRefused() {
        let error = fileError(Self.base + "\nscene:\n  publish_hz: 1")
        #expect(error != nil)
    }

    // MARK: --set

    /// The bf16 kernel uses the configured thread count unless told otherwise.
    @Test func bf16ThreadsFollowThreads() throws {
        #expect(try Self.parse(Self.base, overrides: ["models.threads=3"]).models.bf16Threads == 3)
        #expect(try Self.parse(Self.base, overrides: ["models.threads=3", "models.bf16_threads=1"]).models.bf16Threads == 1)
    }

    @Test func overrideNestedKey() throws {
        let configuration = try Self.parse(Self.base, overrides: ["models.threads=1", "source.v4l2.format=yuyv"])
        #expect(configuration.models.threads == 1)
        guard case .v4l2(let camera) = configuration.source else { Issue.record("source changed kind"); return }
        #expect(camera.format == .yuyv)
    }

    @Test func overrideListAndListItem() throws {
        let whole = try Self.parse(Self.base, overrides: ["scene.vocabulary=[mug, apple, remote control]"])
        #expect(whole.scene.vocabulary == ["mug", "apple", "remote control"])
        let item = try Self.parse(Self.base, overrides: ["scene.vocabulary.1=glass"])
        #expect(item.scene.vocabulary == ["cup", "glass"])
    }

    @Test func overrideCreatesAbsentSections() throws {
        let configuration = try Self.parse(Self.base, overrides: ["metrics.port=9100", "log_level=debug"])
        #expect(configuration.metrics.port == 9100)
        #expect(configuration.logLevel == .debug)
    }

    @Test func overrideWithEmptyValueResetsToTheDefault() throws {
        let text = Self.base.replacingOccurrences(of: "  threads: 2\n", with: "  threads: 2\n  mmproj: projector.gguf\n")
        #expect(try Self.parse(text).models.mmproj == "/robot/launch/projector.gguf")
        #expect(try Self.parse(text, overrides: ["models.mmproj="]).models.mmproj == nil)
        #expect(try Self.parse(text, overrides: ["keys.curve=off"]).keys.curve == false)
    }

    /// A path in the file is relative to the file's folder; a path typed in --set to the working directory.
    @Test func overriddenPathsResolveAgainstTheWorkingDirectory() throws {
        let configuration = try Self.parse(Self.base, overrides: ["models.interpreter=models/lm.gguf"])
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        #expect(configuration.models.interpreter == cwd.appendingPathComponent("models/lm.gguf").standardized.path)
        #expect(configuration.models.clip == "/robot/launch/clip-model")
    }

    @Test func overrideFillsAnEmptySection() throws {
        let configuration = try Self.parse(Self.base + "\nlimits:\n", overrides: ["limits.queue_depth=3"])
        #expect(configuration.limits.queueDepth == 3)
    }

    @Test func overrideReplacesTheSourceKind() throws {
        let configuration = try Self.parse(Self.base, overrides: ["source={replay: {path: /data/rec, mode: fast}}"])
        #expect(configuration.source == .replay(.init(path: "/data/rec", mode: .fast, fps: nil, loop: false)))
    }

    @Test func overrideOfUnknownKeyNamesTheArgument() {
        let error = fileError(Self.base, overrides: ["models.thread=3"])
        #expect(error?.override == "models.thread=3")
        #expect(error?.keyPath == "models.thread")
        #expect(error?.description.hasPrefix("--set models.thread=3: models.thread: unknown key") == true)
        let section = fileError(Self.base, overrides: ["telemetry.port=3"])
        #expect(section?.override == "telemetry.port=3" && section?.keyPath == "telemetry")
    }

    @Test func overrideWithBadValueNamesTheArgument() {
        let error = fileError(Self.base, overrides: ["budgets_ms.frame=-1"])
        #expect(error?.description == "--set budgets_ms.frame=-1: budgets_ms.frame: must be positive, got -1.0 (in /robot/launch/node.yaml)")
    }

    @Test(arguments: ["models.threads", "=3", "models..threads=3", "source.v4l2.device.x=1", "scene.vocabulary.5=x", "scene.vocabulary=[a"])
    func malformedOverridesAreRefused(argument: String) {
        do {
            _ = try Self.parse(Self.base, overrides: [argument])
            Issue.record("accepted \(argument)")
        } catch LaunchError.override(let given, let message) {
            #expect(given == argument && !message.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Random edits of a valid file: a configuration or a LaunchError, never a crash.
    @Test func fuzzedFilesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = "[]{}:,-.0123456789 \n\tabc!%&*'\"#~"
        var refused = 0
        for mutated in randomlyEditedCopies(of: Self.base, alphabet: alphabet, count: 2000, using: &generator) {
            do {
                _ = try Self.parse(mutated)
            } catch {
                refused += 1
                #expect("\(error)".contains("node.yaml"), "input: \(mutated)")
            }
        }
        #expect(refused > 100)
    }
}
