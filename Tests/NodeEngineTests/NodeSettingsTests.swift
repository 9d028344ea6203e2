import LaunchConfig
import Node
import Testing

@Suite("Node settings")
struct NodeSettingsTests {
    static func launch(budgets: LaunchConfiguration.Budgets = .init(), scene: LaunchConfiguration.Scene = .init(),
                       limits: LaunchConfiguration.Limits = .init(), intents: LaunchConfiguration.Intents = .init()) -> LaunchConfiguration {
        LaunchConfiguration(file: "/tmp/node.yaml", source: .replay(.init(path: "/tmp/recording")), models: .init(clip: "/tmp/clip"),
                            budgets: budgets, scene: scene, limits: limits, intents: intents)
    }

    static func fields(_ s: NodeSettings) -> [String] {
        ["\(s.sceneBudgetMs)", "\(s.sceneRateHz)", "\(s.groundBudgetMs)", "\(s.groundRateHz)", "\(s.interpretBudgetMs)",
         "\(s.intentValidityMs)", "\(s.intentLifetimeS)", "\(s.sceneVocabulary)", "\(s.commandQueueDepth)",
         "\(s.groundingMaxSide)", "\(String(describing: s.annotateDirectory))", "\(s.annotateLimit)"]
    }

    @Test("The defaults are the launch file's defaults")
    func defaultsAgree() {
        #expect(Self.fields(NodeSettings()) == Self.fields(NodeSettings(launch: Self.launch())))
        // Spot checks against the documented launch defaults (Launch/README.md).
        let settings = NodeSettings()
        #expect(settings.sceneBudgetMs == 250 && settings.groundBudgetMs == 400 && settings.interpretBudgetMs == 4000)
        #expect(settings.intentValidityMs == 1500 && settings.sceneRateHz == 2 && settings.commandQueueDepth == 8)
    }

    @Test("Every launch key lands in its own setting")
    func launchKeysMap() {
        let settings = NodeSettings(launch: Self.launch(
            budgets: .init(frame: 111, ground: 222, interpret: 333, intentValidity: 444),
            scene: .init(vocabulary: ["a red cube"], publishHz: 3),
            limits: .init(queueDepth: 5),
            intents: .init(groundHz: 7, lifetimeS: 9, groundingMaxSide: 320, annotateDir: "/tmp/out", annotateLimit: 4)))
        #expect(Self.fields(settings) == ["111.0", "3.0", "222.0", "7.0", "333.0", "444.0", "9.0", "[\"a red cube\"]", "5",
                                         "320", "Optional(\"/tmp/out\")", "4"])
    }
}
