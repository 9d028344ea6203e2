import CLIP
public import Grounding
public import Imaging
public import Interpreter
import LLaVA
public import Messaging
public import Scheduling
public import SightlineProtocol

// What the intent engine needs from each of its neighbours, and no more: the node plugs in the
// command server, the publisher, the compute executor, the interpreter and CLIP's grounder;
// tests plug in fakes driven step by step (Tests/NodeEngineTests).

/// The command socket as the engine sees it.
public protocol CommandDoor: Sendable {
    /// The engine is done with a command: a cancel for it is now `unknown_id`.
    func commandFinished(_ id: String)
    /// While on, new commands are answered `busy`.
    func setShedding(_ on: Bool)
}

extension CommandServer: CommandDoor {}

/// Where intents go.
public protocol IntentPublishing: Sendable {
    func publishIntent(_ message: IntentMessage) throws
}

extension Publisher: IntentPublishing {
    public func publishIntent(_ message: IntentMessage) throws { try publish(.intent, message) }
}

/// The compute executor as the engine sees it: jobs in, the current shed level out.
public protocol JobExecutor: Sendable {
    @discardableResult func submit(_ job: Job) -> ComputeExecutor.Admission
    var shedLevel: ShedLevel { get }
}

extension ComputeExecutor: JobExecutor {}

/// One interpretation, driven a step at a time on the executor's thread.
public protocol InterpretationSteps: AnyObject, Sendable {
    func step() -> InterpretationSession.Progress
    /// Asks the session to stop at its next step (from any thread).
    func cancel()
}

extension InterpretationSteps {
    /// Ends a session that will not be stepped again (its job was refused or disposed), so the
    /// interpreter is free for the next command. Only where no step of it can be running.
    func endNow() {
        cancel()
        _ = step()
    }
}

extension InterpretationSession: InterpretationSteps {}

/// The interpreter: one session at a time.
public protocol CommandInterpreting: Sendable {
    /// The side the interpreter's image encoder wants, or nil when it reads text alone.
    var imageSide: Int? { get }
    func startSession(command: String, visible: [String], image: RGBImage?, deadlineNs: UInt64,
                      now: @escaping @Sendable () -> UInt64) throws -> any InterpretationSteps
}

extension Interpreter: CommandInterpreting {
    public var imageSide: Int? { vision?.encoder.configuration.vision.imageSize }

    public func startSession(command: String, visible: [String], image: RGBImage?, deadlineNs: UInt64,
                             now: @escaping @Sendable () -> UInt64) throws -> any InterpretationSteps {
        try session(command: command, visible: visible, image: image, deadlineNs: deadlineNs, now: now)
    }
}

/// Where a phrase is in an image.
public struct PhraseLocation: Sendable, Equatable {
    public var status: GroundingResult.Status
    /// The best region, nil when not found.
    public var box: GroundingBox?
    /// The best region's calibrated probability, also when abstaining.
    public var score: Float

    public init(status: GroundingResult.Status, box: GroundingBox?, score: Float) {
        self.status = status
        self.box = box
        self.score = score
    }
}

/// Grounding of one phrase in one image (runs on the executor's thread).
public protocol PhraseGrounding: Sendable {
    func locate(_ phrase: String, in image: RGBImage, prior: GroundingBox?) throws -> PhraseLocation
}

extension Grounder: PhraseGrounding {
    public func locate(_ phrase: String, in image: RGBImage, prior: GroundingBox?) throws -> PhraseLocation {
        let result = try ground(phrase, in: image, prior: prior)
        return PhraseLocation(status: result.status, box: result.box, score: result.score)
    }
}
