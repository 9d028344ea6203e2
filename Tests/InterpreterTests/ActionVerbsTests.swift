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

@Suite struct PlaceNamedTests {
    let actions: Set<String> = ["place", "push"]

    @Test func aPlaceTheModelLeftOutBecomesTheDestination() {
        let task = InterpretedTask(action: "push", target: "a red ball", attributes: ["towards"])
        #expect(InterpretationSession.placeNamed(in: "push the red ball toward the green cone", completing: task, destinationActions: actions)
            == InterpretedTask(action: "push", target: "a red ball", destination: "a green cone", attributes: ["towards"]))
    }

    @Test func otherwiseTheTaskIsKept() {
        let pick = InterpretedTask(action: "pick", target: "a cube")
        #expect(InterpretationSession.placeNamed(in: "pick up the cube next to the red ring", completing: pick, destinationActions: actions) == pick)
        let given = InterpretedTask(action: "place", target: "a red ball", destination: "a blue cube")
        #expect(InterpretationSession.placeNamed(in: "put the red ball on the green cube", completing: given, destinationActions: actions) == given)
        let leftward = InterpretedTask(action: "push", target: "a purple ball")
        #expect(InterpretationSession.placeNamed(in: "push the purple ball to the left", completing: leftward, destinationActions: actions) == leftward)
        let goTo = InterpretedTask(action: "push", target: "a blue ring")
        #expect(InterpretationSession.placeNamed(in: "push it to the blue ring", completing: goTo, destinationActions: actions) == goTo)
    }
}
