public import Capture
public import Kernels
public import Logging

/// One run of the node, as a launch file describes it (Launch/README.md documents every key).
/// Paths are resolved (`~` expanded, relative paths against the launch file's folder) but not checked:
/// `checkFiles()` does that when the node starts.
public struct LaunchConfiguration: Sendable, Equatable {
    /// The launch file, as given.
    public var file: String
    public var source: Source
    public var models: Models
    public var endpoints: Endpoints
    public var keys: Keys
    public var budgets: Budgets
    public var scene: Scene
    /// Actions the interpreter may choose from.
    public var actions: [String]
    public var calibration: CalibrationFiles?
    public var logLevel: Logger.Level
    public var metrics: Metrics
    public var limits: Limits
    public var intents: Intents

    public init(
        file: String, source: Source, models: Models, endpoints: Endpoints = Endpoints(), keys: Keys = Keys(),
        budgets: Budgets = Budgets(), scene: Scene = Scene(), actions: [String] = defaultActions,
        calibration: CalibrationFiles? = nil, logLevel: Logger.Level = .info, metrics: Metrics = Metrics(),
        limits: Limits = Limits(), intents: Intents = Intents()
    ) {
        self.file = file
        self.source = source
        self.models = models
        self.endpoints = endpoints
        self.keys = keys
        self.budgets = budgets
        self.scene = scene
        self.actions = actions
        self.calibration = calibration
        self.logLevel = logLevel
        self.metrics = metrics
        self.limits = limits
        self.intents = intents
    }

    public static let defaultActions = [
        "pick", "place", "give", "push", "open", "close", "go_to", "look_at", "follow", "stop",
    ]
    public static let defaultVocabulary = [
        "cup", "mug", "bottle", "bowl", "plate", "book", "phone", "keys", "remote control", "box", "person", "chair",
    ]

    /// Where frames come from.
    public enum Source: Sendable, Equatable {
        case v4l2(Camera)
        case replay(Replay)
    }

    /// A V4L2 camera, as `sightline record` takes it.
    public struct Camera: Sendable, Equatable, Encodable {
        public var device: String
        /// nil chooses by size (MJPEG above 640x480, YUYV at or below), as `record` does.
        public var format: CameraPixelFormat?
        public var width: Int
        public var height: Int
        public var fps: Double
        public var controls: [String: ControlValue]

        public init(device: String, format: CameraPixelFormat? = nil, width: Int = 640, height: Int = 480,
                    fps: Double = 30, controls: [String: ControlValue] = [:]) {
            self.device = device
            self.format = format
            self.width = width
            self.height = height
            self.fps = fps
            self.controls = controls
        }

        /// What `V4L2Camera` takes.
        public var configuration: CameraConfiguration {
            CameraConfiguration(
                device: device, request: CaptureRequest(width: width, height: height, fps: fps, format: format),
                controls: controls)
        }
    }

    /// A recording (or folder of images), as `sightline replay` takes it.
    public struct Replay: Sendable, Equatable, Encodable {
        public enum Mode: String, Sendable, CaseIterable, Codable {
            /// The recorded timing (`replay --realtime`).
            case original
            /// A steady `fps` (`replay --fps`).
            case fixed
            /// As fast as frames decode (`replay --fast`).
            case fast
        }

        public var path: String
        public var mode: Mode
        /// Required with `fixed`, refused otherwise.
        public var fps: Double?
        public var loop: Bool

        public init(path: String, mode: Mode = .original, fps: Double? = nil, loop: Bool = false) {
            self.path = path
            self.mode = mode
            self.fps = fps
            self.loop = loop
        }

        /// What `ReplaySource` takes.
        public var options: ReplayOptions {
            switch mode {
            case .original: ReplayOptions(timing: .original, loop: loop)
            case .fixed: ReplayOptions(timing: .fixed(fps: fps ?? 30), loop: loop)
            case .fast: ReplayOptions(timing: .fast, loop: loop)
            }
        }
    }

    public struct Models: Sendable, Equatable {
        /// CLIP checkpoint folder.
        public var clip: String
        /// Interpreter GGUF (or checkpoint folder); `sightline run` needs one to take commands.
        public var interpreter: String?
        /// LLaVA multimodal projector GGUF, when the interpreter is a LLaVA model.
        public var mmproj: String?
        /// The interpreter's prompt file; nil uses `prompts/interpreter.yaml` beside the launch file.
        public var prompt: String?
        /// `--precision` of the CLIP commands.
        public var precision: MatmulPrecision
        /// OpenBLAS threads (`--threads`).
        public var threads: Int
        /// `--bf16-threads`: the bf16 kernel's threads, `threads` unless set.
        public var bf16Threads: Int
        public var interpreterSettings: InterpreterSettings

        public init(clip: String, interpreter: String? = nil, mmproj: String? = nil, prompt: String? = nil,
                    precision: MatmulPrecision = .fp32, threads: Int = 2, bf16Threads: Int? = nil,
                    interpreterSettings: InterpreterSettings = InterpreterSettings()) {
            self.clip = clip
            self.interpreter = interpreter
            self.mmproj = mmproj
            self.prompt = prompt
            self.precision = precision
            self.threads = threads
            self.bf16Threads = bf16Threads ?? threads
            self.interpreterSettings = interpreterSettings
        }
    }

    /// The `generate` command's sampling settings.
    public struct InterpreterSettings: Sendable, Equatable, Encodable {
        public var maxTokens: Int
        public var temperature: Double
        public var seed: UInt64
        /// Most prompt tokens kept (context window used by the node).
        public var contextTokens: Int

        public init(maxTokens: Int = 64, temperature: Double = 0, seed: UInt64 = 0, contextTokens: Int = 2048) {
            self.maxTokens = maxTokens
            self.temperature = temperature
            self.seed = seed
            self.contextTokens = contextTokens
        }

        enum CodingKeys: String, CodingKey {
            case maxTokens = "max_tokens", temperature, seed, contextTokens = "context_tokens"
        }
    }

    /// ZeroMQ endpoints: a ROUTER for commands, a PUB for intents/scene/status.
    public struct Endpoints: Sendable, Equatable, Encodable {
        public var commands: String
        public var publish: String

        public init(commands: String = "tcp://*:5560", publish: String = "tcp://*:5561") {
            self.commands = commands
            self.publish = publish
        }
    }

    /// CURVE security: the server's secret key file and the allow-list of client public keys (ZAP).
    public struct Keys: Sendable, Equatable, Encodable {
        public var curve: Bool
        public var serverSecretKey: String?
        public var allowedClients: String?

        public init(curve: Bool = false, serverSecretKey: String? = nil, allowedClients: String? = nil) {
            self.curve = curve
            self.serverSecretKey = serverSecretKey
            self.allowedClients = allowedClients
        }

        enum CodingKeys: String, CodingKey {
            case curve, serverSecretKey = "server_secret_key", allowedClients = "allowed_clients"
        }
    }

    /// Per-stage latency budgets, milliseconds. A frame job's deadline is capture time + `frame`.
    public struct Budgets: Sendable, Equatable, Encodable {
        /// Frame to scene scores.
        public var frame: Double
        /// Grounding a phrase in a frame.
        public var ground: Double
        /// Interpreting a command's text.
        public var interpret: Double
        /// How long a published intent stays valid (`valid_until_realtime_ns`).
        public var intentValidity: Double

        public init(frame: Double = 250, ground: Double = 400, interpret: Double = 4000, intentValidity: Double = 1500) {
            self.frame = frame
            self.ground = ground
            self.interpret = interpret
            self.intentValidity = intentValidity
        }

        enum CodingKeys: String, CodingKey {
            case frame, ground, interpret, intentValidity = "intent_validity"
        }
    }

    public struct Scene: Sendable, Equatable, Encodable {
        /// Object labels scored by CLIP on every admitted frame.
        public var vocabulary: [String]
        /// `scene` messages per second (at most).
        public var publishHz: Double

        public init(vocabulary: [String] = LaunchConfiguration.defaultVocabulary, publishHz: Double = 2) {
            self.vocabulary = vocabulary
            self.publishHz = publishHz
        }

        enum CodingKeys: String, CodingKey {
            case vocabulary, publishHz = "publish_hz"
        }
    }

    public struct CalibrationFiles: Sendable, Equatable, Encodable {
        /// ROS camera_info or OpenCV YAML.
        public var camera: String
        /// T_base_camera file; nil gives rays in the camera frame.
        public var baseTransform: String?

        public init(camera: String, baseTransform: String? = nil) {
            self.camera = camera
            self.baseTransform = baseTransform
        }

        enum CodingKeys: String, CodingKey {
            case camera, baseTransform = "base_transform"
        }
    }

    /// The Prometheus text endpoint. It has no authentication, so by default it listens only where
    /// the command socket does, and only on loopback when CURVE protects the sockets.
    public struct Metrics: Sendable, Equatable, Encodable {
        public var enabled: Bool
        public var port: Int
        /// The IPv4 address to listen on (0.0.0.0: every interface).
        public var address: String

        public init(enabled: Bool = true, port: Int = 9464, address: String = "127.0.0.1") {
            self.enabled = enabled
            self.port = port
            self.address = address
        }

        /// The address used when the file names none: the command endpoint's interface (`tcp://*:…`:
        /// every interface; an IPv4 address: that one), loopback for anything else (a host name, IPv6,
        /// ipc, inproc) and whenever CURVE is on, since the metrics would bypass it.
        public static func defaultAddress(commands: String, curve: Bool) -> String {
            guard !curve, commands.hasPrefix("tcp://"), let colon = commands.lastIndex(of: ":") else { return "127.0.0.1" }
            let host = String(commands[commands.index(commands.startIndex, offsetBy: 6)..<colon])
            if host == "*" { return "0.0.0.0" }
            return isIPv4(host) ? host : "127.0.0.1"
        }

        /// A dotted-quad IPv4 address, each part 0...255 without sign or spaces.
        public static func isIPv4(_ text: String) -> Bool {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts.allSatisfy { part in
                (1...3).contains(part.count) && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && Int(part).map { $0 <= 255 } == true
            }
        }
    }

    /// Command intake limits; a command over one is answered `rejected` with the reason.
    public struct Limits: Sendable, Equatable, Encodable {
        public var maxMessageBytes: Int
        public var maxTextChars: Int
        public var queueDepth: Int
        /// Commands per second per client.
        public var perClientRate: Double

        public init(maxMessageBytes: Int = 16384, maxTextChars: Int = 500, queueDepth: Int = 8, perClientRate: Double = 5) {
            self.maxMessageBytes = maxMessageBytes
            self.maxTextChars = maxTextChars
            self.queueDepth = queueDepth
            self.perClientRate = perClientRate
        }

        enum CodingKeys: String, CodingKey {
            case maxMessageBytes = "max_message_bytes", maxTextChars = "max_text_chars"
            case queueDepth = "queue_depth", perClientRate = "per_client_rate"
        }
    }

    /// Live intents: how often they are re-grounded, how long they live, and where annotated frames go.
    public struct Intents: Sendable, Equatable, Encodable {
        /// Re-grounding rate of an active intent on new frames.
        public var groundHz: Double
        /// An intent stops being re-grounded this long after its command.
        public var lifetimeS: Double
        /// Frames are grounded at most this large on their long side (JPEG decoded at a reduced scale).
        public var groundingMaxSide: Int
        /// Folder for annotated frames (boxes and phrases drawn, PNG); nil writes none.
        public var annotateDir: String?
        /// At most this many annotated frames per run.
        public var annotateLimit: Int
        /// Grounding's sliding-window sides, as fractions of the frame's short side (nil: the
        /// grounder's defaults). Fewer, larger windows for a big CLIP on a small CPU.
        public var windowScales: [Double]?
        /// Step between windows as a fraction of the window side (nil: the default, 0.5).
        public var windowStride: Double?

        public init(groundHz: Double = 5, lifetimeS: Double = 30, groundingMaxSide: Int = 640,
                    annotateDir: String? = nil, annotateLimit: Int = 24,
                    windowScales: [Double]? = nil, windowStride: Double? = nil) {
            self.groundHz = groundHz
            self.lifetimeS = lifetimeS
            self.groundingMaxSide = groundingMaxSide
            self.annotateDir = annotateDir
            self.annotateLimit = annotateLimit
            self.windowScales = windowScales
            self.windowStride = windowStride
        }

        enum CodingKeys: String, CodingKey {
            case groundHz = "ground_hz", lifetimeS = "lifetime_s", groundingMaxSide = "grounding_max_side"
            case annotateDir = "annotate_dir", annotateLimit = "annotate_limit"
            case windowScales = "window_scales", windowStride = "window_stride"
        }
    }
}
