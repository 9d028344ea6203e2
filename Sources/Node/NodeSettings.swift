/// What the node runtime needs from the launch file, already validated.
public struct NodeSettings: Sendable {
    /// Capture-to-scores budget of scene scoring (its deadline), milliseconds.
    public var sceneBudgetMs: Double = 150
    /// Scene scoring at most this often; 0 means every admitted frame.
    public var sceneRateHz: Double = 5
    /// Capture-to-intent budget of one grounding update, milliseconds.
    public var groundBudgetMs: Double = 150
    /// How often an active intent is re-grounded on new frames.
    public var groundRateHz: Double = 5
    /// Default command deadline (receipt to first intent) when a request gives none, milliseconds.
    public var interpretBudgetMs: Double = 5000
    /// `valid_until` of an intent is its frame's capture time plus this, milliseconds.
    public var intentValidityMs: Double = 500
    /// An intent stops being re-grounded this long after its command, seconds.
    public var intentLifetimeS: Double = 30
    /// The labels scene scoring publishes.
    public var sceneVocabulary: [String] = []
    /// The most commands waiting for the interpreter; beyond that new commands get `busy`.
    public var commandQueueDepth = 8
    /// Grounding runs on frames no larger than this on their long side (JPEG frames are
    /// decoded at a reduced scale).
    public var groundingMaxSide = 640
    /// Where annotated frames (boxes and phrases drawn) are written, if anywhere.
    public var annotateDirectory: String?
    /// At most this many annotated frames per run.
    public var annotateLimit = 24
    /// Model ids by role, published in `status` and every intent.
    public var models: [String: String] = [:]

    public init() {}
}
