import CLIP
import Calibration
import Capture
import Foundation
import Generation
import Grounding
import Interpreter
import Kernels
public import LaunchConfig
public import Logging
import Messaging
import ModelLoading
import Scheduling
import Tokenizers
import SightlineProtocol

/// Why the node could not be assembled, in one line naming the launch key or file at fault.
public struct NodeAssemblyError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Builds the node from a validated launch configuration: opens the source, loads the models
/// (CLIP for the scene and grounding, the interpreter's language model), reads the calibration,
/// binds the sockets. Every failure is one line naming what is wrong. The CLI's `run` only
/// parses its options and calls this.
public enum NodeAssembly {
    public static func build(_ launch: LaunchConfiguration, logger: Logger) throws -> NodeService {
        BLAS.setThreads(launch.models.threads)
        Parallel.threads = launch.models.bf16Threads
        let clock = SystemClock()

        // Frames
        let source: any FrameSource
        var streamSize: ImageSize?
        switch launch.source {
        case .v4l2(let camera):
            source = V4L2Camera(configuration: camera.configuration, logger: logger)
            streamSize = ImageSize(width: camera.width, height: camera.height)
        case .replay(let replay):
            do {
                let recording = try ReplaySource(path: replay.path, options: replay.options, logger: logger)
                source = recording
                streamSize = recording.meta.map { ImageSize(width: $0.width, height: $0.height) }
            } catch {
                throw NodeAssemblyError("source.replay.path: \(error)")
            }
        }

        // CLIP: scene scoring and grounding share one model and tokenizer.
        let clip: CLIPModel, tokenizer: CLIPTokenizer
        do throws(CLIPError) {
            clip = try CLIPModel(directory: launch.models.clip, precision: launch.models.precision)
            tokenizer = try clip.loadTokenizer()
        } catch {
            throw NodeAssemblyError("models.clip: \(error)")
        }
        let vocabulary = launch.scene.vocabulary
        let scorer = try SceneScorer(classifier: try ZeroShotClassifier(model: clip, tokenizer: tokenizer), vocabulary: vocabulary)
        var search = GroundingConfiguration()
        if let scales = launch.intents.windowScales { search.windowScales = scales.map(Float.init) }
        if let stride = launch.intents.windowStride { search.stride = Float(stride) }
        let grounder = try Grounder(model: clip, tokenizer: tokenizer, vocabulary: vocabulary, configuration: search)
        var coarse = search
        if coarse.windowScales.count > 1 { coarse.windowScales = Array(coarse.windowScales.sorted().dropFirst()) }
        let coarseGrounder = try Grounder(model: clip, tokenizer: tokenizer, vocabulary: vocabulary, configuration: coarse)

        // The interpreter
        guard let lmPath = launch.models.interpreter else {
            throw NodeAssemblyError("\(launch.file): models.interpreter is required: the node turns commands into tasks with it")
        }
        let interpreter = try loadInterpreter(lmPath, launch: launch)
        if interpreter.vision != nil { logger.info("the interpreter sees the frame (LLaVA: \(launch.models.mmproj ?? lmPath))") }

        // Calibration, fitted to the stream size when it is known now (a replay's recording,
        // the camera's requested size); refused if it cannot be.
        var camera: CalibratedCamera?
        if let files = launch.calibration {
            do throws(CalibrationError) {
                if let streamSize {
                    camera = try CalibratedCamera.load(calibration: files.camera, baseTransform: files.baseTransform, stream: streamSize)
                } else {
                    let calibration = try CameraCalibration.load(path: files.camera)
                    camera = CalibratedCamera(calibration: calibration, baseFromCamera: try files.baseTransform.map(RigidTransform.load))
                }
            } catch {
                throw NodeAssemblyError("calibration: \(error)")
            }
        }

        // Sockets
        let context = try ZMQContext()
        var curve: CurveServerOptions?
        if launch.keys.curve, let secret = launch.keys.serverSecretKey, let allowed = launch.keys.allowedClients {
            let authenticator = try ZAPAuthenticator(context: context, allowedKeys: try CurveAllowList.read(allowed))
            curve = try CurveServerOptions(keys: try CurveKeyFile.read(secret), authenticator: authenticator)
        }
        var serverConfiguration = CommandServerConfiguration()
        serverConfiguration.endpoint = launch.endpoints.commands
        serverConfiguration.limits.maxMessageBytes = launch.limits.maxMessageBytes
        serverConfiguration.limits.maxTextLength = launch.limits.maxTextChars
        serverConfiguration.queueCapacity = launch.limits.queueDepth
        serverConfiguration.ratePerSecond = launch.limits.perClientRate
        serverConfiguration.burst = max(1, launch.limits.perClientRate)
        serverConfiguration.curve = curve
        serverConfiguration.isUrgent = IntentEngine.isStop
        var publisherConfiguration = PublisherConfiguration()
        publisherConfiguration.endpoint = launch.endpoints.publish
        publisherConfiguration.curve = curve
        let commandServer: CommandServer, publisher: Publisher
        do {
            commandServer = try CommandServer(context: context, configuration: serverConfiguration)
            publisher = try Publisher(context: context, configuration: publisherConfiguration)
        } catch {
            throw NodeAssemblyError("endpoints: \(error)")
        }

        // Scheduling
        var settings = NodeSettings(launch: launch)
        settings.models = [
            "clip": URL(fileURLWithPath: launch.models.clip).lastPathComponent,
            "interpreter": URL(fileURLWithPath: lmPath).lastPathComponent,
        ]
        let executor = ComputeExecutor(capacity: [.scene: 1, .ground: 8, .interpret: 1], clock: clock)

        let scenes = SceneBoard()
        let intents = IntentBox()
        let pipeline = FramePipeline(
            source: source, executor: executor, scorer: scorer,
            settings: .init(sceneBudgetNs: UInt64(settings.sceneBudgetMs * 1e6),
                            sceneIntervalNs: settings.sceneRateHz > 0 ? UInt64(1e9 / settings.sceneRateHz) : 0),
            clock: clock, logger: logger,
            frameListener: { frame in intents.engine?.frameArrived(frame) }
        ) { scores in
            scenes.update(scores)
            let message = SceneMessage(
                frame: FrameStamp(seq: scores.frameSeq, capturedRealtimeNs: scores.captured.realtimeNs,
                                  capturedMonotonicNs: scores.captured.monotonicNs),
                scores: Dictionary(scores.scores.map { ($0.label, Double($0.probability)) }, uniquingKeysWith: max),
                latencyMs: scores.latencyMs)
            do { try publisher.publish(.scene, message) } catch { logger.error("publishing scene: \(error)") }
        }
        let engine = try IntentEngine(
            settings: settings, executor: executor, interpreter: interpreter, grounder: grounder, coarseGrounder: coarseGrounder, camera: camera,
            publisher: publisher, commandServer: commandServer, clock: clock, logger: logger,
            latestFrame: { pipeline.latestFrame }, visibleLabels: { scenes.visible() })
        intents.engine = engine
        let status = StatusReporter(
            models: settings.models, source: source, pipeline: pipeline, executor: executor,
            commandServer: commandServer, publisher: publisher, intents: engine, clock: clock)
        return NodeService(
            parts: .init(executor: executor, pipeline: pipeline, intents: engine, commandServer: commandServer,
                         publisher: publisher, status: status, metricsPort: launch.metrics.enabled ? launch.metrics.port : nil,
                         metricsHost: launch.metrics.address),
            logger: logger)
    }

    /// The interpreter: a language model, with LLaVA's image encoder when the launch file names an
    /// mmproj (or the model is a Hugging Face LLaVA folder).
    private static func loadInterpreter(_ path: String, launch: LaunchConfiguration) throws -> Interpreter {
        let files = try LanguageModelFiles(path)
        let tokenizer = try files.tokenizer()
        let settings = launch.models.interpreterSettings
        let vision = try VisionLanguageSetup.open(
            model: path, mmproj: launch.models.mmproj, precision: launch.models.precision, poolFactor: 1)
        try vision?.checkLanguageModel(files)
        let context = try files.contextLength()
        let budget = context > 0 ? min(context, settings.contextTokens) : settings.contextTokens
        let model = try vision?.languageModel(files, tokenBudget: budget, threads: launch.models.threads)
            ?? files.model(tokenBudget: budget, threads: launch.models.threads)
        let prompt: InterpreterPrompt
        do {
            prompt = try InterpreterPrompt.load(path: launch.models.prompt ?? defaultPromptPath(launch))
        } catch {
            throw NodeAssemblyError("models.prompt: \(error)")
        }
        do {
            return try Interpreter(
                model: model, tokenizer: tokenizer, template: ChatTemplate.of(model: path).template, prompt: prompt,
                settings: .init(actions: launch.actions, maxTokens: settings.maxTokens,
                                sampling: SamplingSettings(temperature: Float(settings.temperature), seed: settings.seed)),
                vision: vision.map { Interpreter.Vision(encoder: $0.encoder, reduction: $0.reduction) })
        } catch {
            throw NodeAssemblyError("models.interpreter: \(error)")
        }
    }

    /// `prompts/interpreter.yaml` beside the launch file.
    private static func defaultPromptPath(_ launch: LaunchConfiguration) -> String {
        URL(fileURLWithPath: launch.file).deletingLastPathComponent().appendingPathComponent("prompts/interpreter.yaml").path
    }
}
