public import LaunchConfig

/// What the node runtime needs from the launch file, already validated.
///
/// The defaults are the launch file's defaults (`LaunchConfiguration`'s), so a node built without
/// a launch file behaves like one built from an empty one.
public struct NodeSettings: Sendable {
    /// Capture-to-scores budget of scene scoring (its deadline), milliseconds.
    public var sceneBudgetMs: Double = LaunchConfiguration.Budgets().frame
    /// Scene scoring at most this often; 0 means every admitted frame.
    public var sceneRateHz: Double = LaunchConfiguration.Scene().publishHz
    /// Capture-to-intent budget of one grounding update, milliseconds.
    public var groundBudgetMs: Double = LaunchConfiguration.Budgets().ground
    /// How often an active intent is re-grounded on new frames.
    public var groundRateHz: Double = LaunchConfiguration.Intents().groundHz
    /// Default command deadline (receipt to first intent) when a request gives none, milliseconds.
    public var interpretBudgetMs: Double = LaunchConfiguration.Budgets().interpret
    /// `valid_until` of an intent is its frame's capture time plus this, milliseconds.
    public var intentValidityMs: Double = LaunchConfiguration.Budgets().intentValidity
    /// An intent stops being re-grounded this long after its command, seconds.
    public var intentLifetimeS: Double = LaunchConfiguration.Intents().lifetimeS
    /// The labels scene scoring publishes.
    public var sceneVocabulary: [String] = LaunchConfiguration.Scene().vocabulary
    /// The most commands waiting for the interpreter; beyond that new commands get `busy`.
    public var commandQueueDepth = LaunchConfiguration.Limits().queueDepth
    /// Grounding runs on frames no larger than this on their long side (JPEG frames are
    /// decoded at a reduced scale).
    public var groundingMaxSide = LaunchConfiguration.Intents().groundingMaxSide
    /// Where annotated frames (boxes and phrases drawn) are written, if anywhere.
    public var annotateDirectory: String? = LaunchConfiguration.Intents().annotateDir
    /// At most this many annotated frames per run.
    public var annotateLimit = LaunchConfiguration.Intents().annotateLimit
    /// Model ids by role, published in `status` and every intent.
    public var models: [String: String] = [:]

    public init() {}

    /// The settings a launch file gives (models by role are set by whoever loads them).
    public init(launch: LaunchConfiguration) {
        sceneBudgetMs = launch.budgets.frame
        sceneRateHz = launch.scene.publishHz
        groundBudgetMs = launch.budgets.ground
        groundRateHz = launch.intents.groundHz
        interpretBudgetMs = launch.budgets.interpret
        intentValidityMs = launch.budgets.intentValidity
        intentLifetimeS = launch.intents.lifetimeS
        sceneVocabulary = launch.scene.vocabulary
        commandQueueDepth = launch.limits.queueDepth
        groundingMaxSide = launch.intents.groundingMaxSide
        annotateDirectory = launch.intents.annotateDir
        annotateLimit = launch.intents.annotateLimit
    }
}
