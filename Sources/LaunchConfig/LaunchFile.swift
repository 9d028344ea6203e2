import ConfigYAML
import Capture
import Foundation
import Kernels
import Logging
import Yams

extension LaunchConfiguration {
    /// Reads, overrides and validates a launch file. Paths are resolved, not checked (see `checkFiles()`).
    public static func load(path: String, overrides: [String] = []) throws(LaunchError) -> LaunchConfiguration {
        var parsed: [LaunchOverride] = []
        for argument in overrides { parsed.append(try LaunchOverride(argument)) }
        let text: String
        do throws(YAMLFileError) { text = try YAMLSource.readText(of: path) } catch { throw .file(error) }
        return try parse(yaml: text, file: path, overrides: parsed)
    }

    /// Validates launch-file text; `file` names it in errors and anchors its relative paths; `home`
    /// (default $HOME) is what `~` expands to.
    public static func parse(
        yaml text: String, file: String, overrides: [LaunchOverride] = [],
        home: String? = nil
    ) throws(LaunchError) -> LaunchConfiguration {
        let home = home ?? ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let source = YAMLSource(file: file)
        var root: Node
        do throws(YAMLFileError) { root = try YAMLValue.parse(text, source: source).node } catch { throw .file(error) }
        var overridden: [String: String] = [:]
        for override in overrides { root = try override.apply(to: root, recording: &overridden) }
        let paths = PathResolver(launchFile: file, home: home)
        do throws(YAMLFileError) {
            return try LaunchFileReader(paths: paths).read(YAMLValue(node: root, source: YAMLSource(file: file, overrides: overridden)))
        } catch {
            throw .file(error)
        }
    }

    /// Every file and folder the configuration names that does not exist, as one error. The node calls
    /// this at start, after parsing (a launch file can be checked on a machine without the models).
    public func checkFiles() throws(LaunchError) {
        var named: [(String, String?)] = [
            ("models.clip", models.clip), ("models.interpreter", models.interpreter),
            ("models.mmproj", models.mmproj), ("models.prompt", models.prompt),
            ("calibration.camera", calibration?.camera), ("calibration.base_transform", calibration?.baseTransform),
        ]
        if keys.curve {
            named += [("keys.server_secret_key", keys.serverSecretKey), ("keys.allowed_clients", keys.allowedClients)]
        }
        if case .replay(let replay) = source { named.append(("source.replay.path", replay.path)) }
        let missing = named.compactMap { key, path in
            path.flatMap { FileManager.default.fileExists(atPath: $0) ? nil : LaunchError.MissingFile(keyPath: key, path: $0) }
        }
        if !missing.isEmpty { throw .missingFiles(launchFile: file, missing) }
    }
}

/// `~` and `~/x` expand to the home folder; other relative paths are taken from the launch file's folder
/// (or, for a `--set` value, from the working directory).
struct PathResolver {
    let folder: URL
    let home: String

    init(launchFile: String, home: String) {
        // Made absolute first: standardizing a relative file URL loses its base (cwd).
        let absolute = launchFile.hasPrefix("/") ? launchFile
            : FileManager.default.currentDirectoryPath + "/" + launchFile
        self.folder = URL(fileURLWithPath: absolute).deletingLastPathComponent()
        self.home = home
    }

    /// A path from the file resolves against the file's folder; one typed in a `--set` against the
    /// working directory, as any path on a command line.
    func resolve(_ value: YAMLValue) throws(YAMLFileError) -> String {
        let path = try value.string()
        if path == "~" { return home }
        if path.hasPrefix("~/") { return URL(fileURLWithPath: home).appendingPathComponent(String(path.dropFirst(2))).standardized.path }
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardized.path }
        let base = value.overrideArgument == nil ? folder : URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return base.appendingPathComponent(path).standardized.path
    }
}

/// Walks the document, key by key: every read knows its key path and line; every mapping first refuses
/// keys it does not know (so a misspelt required key is reported as the typo it is), and `finish()`
/// checks that each known key was read.
struct LaunchFileReader {
    let paths: PathResolver

    func read(_ document: YAMLValue) throws(YAMLFileError) -> LaunchConfiguration {
        let root = try document.mapping(allowing: [
            "version", "source", "models", "endpoints", "keys", "budgets_ms", "scene", "actions", "calibration",
            "log_level", "metrics", "limits", "intents",
        ])
        if let version = root.optional("version") {
            guard try version.int() == 1 else { throw version.error("this node reads launch files of version 1") }
        }
        let sourceValue = try root.required("source")
        let endpointSettings = try endpoints(root.optional("endpoints")), keySettings = try keys(root.optional("keys"))
        let configuration = LaunchConfiguration(
            file: document.source.file,
            source: try source(sourceValue),
            models: try models(try root.required("models")),
            endpoints: endpointSettings,
            keys: keySettings,
            budgets: try budgets(root.optional("budgets_ms")),
            scene: try scene(root.optional("scene")),
            actions: try labels(root.optional("actions"), default: LaunchConfiguration.defaultActions),
            calibration: try calibration(root.optional("calibration")),
            logLevel: try root.optional("log_level")?.choice(Logger.Level.self) ?? .info,
            metrics: try metrics(root.optional("metrics"), defaultAddress: LaunchConfiguration.Metrics.defaultAddress(
                commands: endpointSettings.commands, curve: keySettings.curve)),
            limits: try limits(root.optional("limits")),
            intents: try intents(root.optional("intents")))
        try root.finish()
        return configuration
    }

    // MARK: Sections

    func source(_ value: YAMLValue) throws(YAMLFileError) -> LaunchConfiguration.Source {
        let fields = try value.mapping(allowing: ["v4l2", "replay"])
        let camera = fields.optional("v4l2"), replay = fields.optional("replay")
        try fields.finish()
        switch (camera, replay) {
        case (let camera?, nil):
            let fields = try camera.mapping(allowing: ["device", "format", "width", "height", "fps", "controls"])
            let result = LaunchConfiguration.Camera(
                device: try fields.required("device").string(),
                format: try fields.optional("format")?.choice(CameraPixelFormat.self),
                width: try fields.int("width", default: 640, in: 1...16384),
                height: try fields.int("height", default: 480, in: 1...16384),
                fps: try fields.number("fps", default: 30, above: 0, atMost: 1000),  // `record`'s limits
                controls: try controls(fields.optional("controls")))
            try fields.finish()
            return .v4l2(result)
        case (nil, let replay?):
            let fields = try replay.mapping(allowing: ["path", "mode", "fps", "loop"])
            let pathValue = try fields.required("path")
            let modeValue = fields.optional("mode")
            let mode = try modeValue?.choice(LaunchConfiguration.Replay.Mode.self) ?? .original
            let fpsValue = fields.optional("fps")
            let fps = try fpsValue.map { value throws(YAMLFileError) in try value.number(atLeast: 0.001, atMost: 10_000) }
            if mode == .fixed, fps == nil {
                throw (modeValue ?? replay).error("mode fixed needs fps")
            }
            if mode != .fixed, let fpsValue {
                throw fpsValue.error("fps applies to mode fixed only (mode is \(mode.rawValue))")
            }
            let result = LaunchConfiguration.Replay(
                path: try paths.resolve(pathValue), mode: mode, fps: fps,
                loop: try fields.optional("loop")?.bool() ?? false)
            try fields.finish()
            return .replay(result)
        case (nil, nil):
            throw value.error("give v4l2: {device, ...} or replay: {path, ...}")
        case (_?, _?):
            throw value.error("give v4l2 or replay, not both")
        }
    }

    func controls(_ value: YAMLValue?) throws(YAMLFileError) -> [String: ControlValue] {
        guard let value else { return [:] }
        let fields = try value.mapping()
        var controls: [String: ControlValue] = [:]
        for name in fields.keys {
            let control = try fields.required(name)
            // V4L2 control values are integers, booleans or menu item names (as `record --control`).
            if let number = try? control.int() {
                controls[name] = .integer(number)
            } else if let flag = try? control.bool() {
                controls[name] = .bool(flag)
            } else {
                controls[name] = .text(try control.string())
            }
        }
        return controls
    }

    func models(_ value: YAMLValue) throws(YAMLFileError) -> LaunchConfiguration.Models {
        let fields = try value.mapping(allowing: [
            "clip", "interpreter", "mmproj", "prompt", "precision", "threads", "bf16_threads", "interpreter_settings",
        ])
        let threads = try fields.int("threads", default: 2, in: 1...64)
        let result = LaunchConfiguration.Models(
            clip: try paths.resolve(fields.required("clip")),
            interpreter: try fields.optional("interpreter").map(paths.resolve),
            mmproj: try fields.optional("mmproj").map(paths.resolve),
            prompt: try fields.optional("prompt").map(paths.resolve),
            precision: try fields.optional("precision")?.choice(MatmulPrecision.self) ?? .fp32,
            threads: threads,
            bf16Threads: try fields.int("bf16_threads", default: threads, in: 1...64),
            interpreterSettings: try interpreterSettings(fields.optional("interpreter_settings")))
        try fields.finish()
        return result
    }

    func interpreterSettings(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.InterpreterSettings {
        let defaults = LaunchConfiguration.InterpreterSettings()
        guard let fields = try value?.mapping(allowing: ["max_tokens", "temperature", "seed", "context_tokens"]) else {
            return defaults
        }
        let result = LaunchConfiguration.InterpreterSettings(
            maxTokens: try fields.int("max_tokens", default: defaults.maxTokens, in: 1...4096),
            temperature: try fields.number("temperature", default: defaults.temperature, atLeast: 0, atMost: 10),
            seed: UInt64(try fields.int("seed", default: Int(defaults.seed), in: 0...Int.max)),
            contextTokens: try fields.int("context_tokens", default: defaults.contextTokens, in: 64...131_072))
        try fields.finish()
        return result
    }

    func endpoints(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.Endpoints {
        let defaults = LaunchConfiguration.Endpoints()
        guard let value else { return defaults }
        let fields = try value.mapping(allowing: ["commands", "publish"])
        let commands = try fields.optional("commands").map(endpoint) ?? defaults.commands
        let publishValue = fields.optional("publish")
        let publish = try publishValue.map(endpoint) ?? defaults.publish
        try fields.finish()
        if commands == publish { throw (publishValue ?? value).error("commands and publish must be different endpoints") }
        return LaunchConfiguration.Endpoints(commands: commands, publish: publish)
    }

    /// A ZeroMQ endpoint the node can bind: tcp://host:port, ipc://path or inproc://name.
    func endpoint(_ value: YAMLValue) throws(YAMLFileError) -> String {
        let text = try value.string()
        guard let range = text.range(of: "://"), ["tcp", "ipc", "inproc"].contains(text[..<range.lowerBound]),
              !text[range.upperBound...].isEmpty
        else { throw value.error("'\(text)' is not a ZeroMQ endpoint like tcp://*:5560, ipc:///tmp/x or inproc://x") }
        if text.hasPrefix("tcp://") {
            let address = text[range.upperBound...]
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
                  (1...65535).contains(port), colon != address.startIndex
            else { throw value.error("'\(text)' needs a host and a port 1...65535, e.g. tcp://127.0.0.1:5560") }
        }
        return text
    }

    func keys(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.Keys {
        guard let value else { return LaunchConfiguration.Keys() }
        let fields = try value.mapping(allowing: ["curve", "server_secret_key", "allowed_clients"])
        let curveValue = try fields.required("curve")
        let curve = try curveValue.bool()
        let secret = try fields.optional("server_secret_key").map(paths.resolve)
        let allowed = try fields.optional("allowed_clients").map(paths.resolve)
        try fields.finish()
        if curve, secret == nil || allowed == nil {
            throw curveValue.error("curve: true needs server_secret_key and allowed_clients")
        }
        return LaunchConfiguration.Keys(curve: curve, serverSecretKey: secret, allowedClients: allowed)
    }

    func budgets(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.Budgets {
        let defaults = LaunchConfiguration.Budgets()
        guard let fields = try value?.mapping(allowing: ["frame", "ground", "interpret", "intent_validity"]) else {
            return defaults
        }
        func milliseconds(_ key: String, _ fallback: Double) throws(YAMLFileError) -> Double {
            try fields.number(key, default: fallback, above: 0, atMost: 600_000)
        }
        let result = LaunchConfiguration.Budgets(
            frame: try milliseconds("frame", defaults.frame), ground: try milliseconds("ground", defaults.ground),
            interpret: try milliseconds("interpret", defaults.interpret),
            intentValidity: try milliseconds("intent_validity", defaults.intentValidity))
        try fields.finish()
        return result
    }

    func intents(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.Intents {
        let defaults = LaunchConfiguration.Intents()
        guard let fields = try value?.mapping(allowing: [
            "ground_hz", "lifetime_s", "grounding_max_side", "annotate_dir", "annotate_limit", "window_scales", "window_stride",
        ]) else { return defaults }
        var scales: [Double]?
        if let value = fields.optional("window_scales") {
            let list = try value.doubles()
            // The grounder's limits (GroundingConfiguration.minimumWindowScale, .minimumStride).
            guard (1...16).contains(list.count), list.allSatisfy({ $0 >= 0.02 && $0 <= 1 }) else {
                throw value.error("window scales are 1 to 16 fractions of the short side, each in 0.02...1")
            }
            scales = list
        }
        let result = LaunchConfiguration.Intents(
            groundHz: try fields.number("ground_hz", default: defaults.groundHz, above: 0, atMost: 120),
            lifetimeS: try fields.number("lifetime_s", default: defaults.lifetimeS, above: 0, atMost: 86_400),
            groundingMaxSide: try fields.int("grounding_max_side", default: defaults.groundingMaxSide, in: 64...8192),
            annotateDir: try fields.optional("annotate_dir").map { value throws(YAMLFileError) in try paths.resolve(value) },
            annotateLimit: try fields.int("annotate_limit", default: defaults.annotateLimit, in: 0...10_000),
            windowScales: scales,
            windowStride: try fields.optional("window_stride").map { value throws(YAMLFileError) in try value.number(atLeast: 0.05, atMost: 1) })
        try fields.finish()
        return result
    }

    func scene(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.Scene {
        let defaults = LaunchConfiguration.Scene()
        guard let fields = try value?.mapping(allowing: ["vocabulary", "publish_hz"]) else { return defaults }
        let result = LaunchConfiguration.Scene(
            vocabulary: try labels(fields.optional("vocabulary"), default: defaults.vocabulary),
            publishHz: try fields.number("publish_hz", default: defaults.publishHz, above: 0, atMost: 120))
        try fields.finish()
        return result
    }

    /// A non-empty list of distinct, non-blank labels.
    func labels(_ value: YAMLValue?, default fallback: [String]) throws(YAMLFileError) -> [String] {
        guard let value else { return fallback }
        let items = try value.sequence()
        guard !items.isEmpty else { throw value.error("the list is empty") }
        var labels: [String] = []
        for item in items {
            let label = try item.string().trimmingCharacters(in: .whitespaces)
            guard !label.isEmpty else { throw item.error("a label is blank") }
            guard !labels.contains(label) else { throw item.error("'\(label)' is listed twice") }
            labels.append(label)
        }
        return labels
    }

    func calibration(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.CalibrationFiles? {
        guard let value else { return nil }
        let fields = try value.mapping(allowing: ["camera", "base_transform"])
        let result = LaunchConfiguration.CalibrationFiles(
            camera: try paths.resolve(fields.required("camera")),
            baseTransform: try fields.optional("base_transform").map(paths.resolve))
        try fields.finish()
        return result
    }

    func metrics(_ value: YAMLValue?, defaultAddress: String) throws(YAMLFileError) -> LaunchConfiguration.Metrics {
        let defaults = LaunchConfiguration.Metrics(address: defaultAddress)
        guard let fields = try value?.mapping(allowing: ["enabled", "port", "address"]) else { return defaults }
        var address = defaultAddress
        if let value = fields.optional("address") {
            address = try value.string()
            guard LaunchConfiguration.Metrics.isIPv4(address) else {
                throw value.error("'\(address)' is not an IPv4 address like 127.0.0.1 (0.0.0.0 listens on every interface)")
            }
        }
        let result = LaunchConfiguration.Metrics(
            enabled: try fields.optional("enabled")?.bool() ?? defaults.enabled,
            port: try fields.int("port", default: defaults.port, in: 1...65535),
            address: address)
        try fields.finish()
        return result
    }

    func limits(_ value: YAMLValue?) throws(YAMLFileError) -> LaunchConfiguration.Limits {
        let defaults = LaunchConfiguration.Limits()
        guard let fields = try value?.mapping(allowing: [
            "max_message_bytes", "max_text_chars", "queue_depth", "per_client_rate",
        ]) else { return defaults }
        let result = LaunchConfiguration.Limits(
            maxMessageBytes: try fields.int("max_message_bytes", default: defaults.maxMessageBytes, in: 64...16_777_216),
            maxTextChars: try fields.int("max_text_chars", default: defaults.maxTextChars, in: 1...100_000),
            queueDepth: try fields.int("queue_depth", default: defaults.queueDepth, in: 1...10_000),
            perClientRate: try fields.number("per_client_rate", default: defaults.perClientRate, above: 0, atMost: 100_000))
        try fields.finish()
        return result
    }
}

// MARK: Range-checked reads

extension YAMLMapping {
    func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(YAMLFileError) -> Int {
        guard let value = optional(key) else { return fallback }
        let number = try value.int()
        guard range.contains(number) else {
            throw value.error(range.upperBound == .max ? "must be at least \(range.lowerBound), got \(number)"
                : "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func number(_ key: String, default fallback: Double, above lower: Double? = nil, atLeast floor: Double? = nil,
                atMost upper: Double) throws(YAMLFileError) -> Double {
        guard let value = optional(key) else { return fallback }
        return try value.number(above: lower, atLeast: floor, atMost: upper)
    }
}

extension YAMLValue {
    func number(above lower: Double? = nil, atLeast floor: Double? = nil, atMost upper: Double) throws(YAMLFileError) -> Double {
        let number = try double()
        if let lower, !(number > lower) {
            throw error(lower == 0 ? "must be positive, got \(number)" : "must be above \(lower), got \(number)")
        }
        if let floor, number < floor { throw error("must be at least \(floor), got \(number)") }
        guard number <= upper else { throw error("must be at most \(upper), got \(number)") }
        return number
    }
}
