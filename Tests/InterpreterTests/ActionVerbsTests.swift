@testable import Interpreter
import Testing

@Suite struct ActionVerbsTests {
    let verbs = ActionVerbs(["pick": ["pick", "lift", "take"], "push": ["push", "shove"], "look_at": ["look"], "fly": ["fly"]],
                            actions: ["pick", "push", "look_at", "stop"])

    @Test func theFirstListedVerbNamesTheAction() {
        #expect(verbs.action(for: "lift the purple sphere") == "pick")
        #expect(verbs.action(for: "could you please take the red ball") == "pick")
        #expect(verbs.action(for: "Push the cube, then look at it") == "push")
        #expect(verbs.action(for: "the red cylinder, pick it up") == "pick")
    }

    @Test func noListedVerbANegationOrAnActionTheLaunchFileLacksLeavesItToTheModel() {
        #expect(verbs.action(for: "point the camera at the ball") == nil)
        #expect(verbs.action(for: "don't push the red cube") == nil)
        #expect(verbs.action(for: "do not lift it") == nil)
        #expect(verbs.action(for: "fly to the moon") == nil)
    }
}
