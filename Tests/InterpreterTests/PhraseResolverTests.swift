import Interpreter
import Testing

@Suite struct PhraseResolverTests {
    let resolver = PhraseResolver(vocabulary: ["a red cube", "an orange cube", "a blue ball", "an apple", "a green ring"])

    /// The demo's 30 labels: every colour with every shape.
    static let demo: PhraseResolver = {
        let colours = ["red", "green", "blue", "yellow", "orange", "purple"]
        let shapes = ["cube", "ball", "cylinder", "cone", "ring"]
        return PhraseResolver(vocabulary: colours.flatMap { colour in
            shapes.map { (colour == "orange" ? "an " : "a ") + colour + " " + $0 }
        })
    }()

    @Test func theOperatorsNamedObjectWinsOverASubstitute() {
        #expect(resolver.resolve("an orange cube", command: "pick up the red cube") == "a red cube")
        #expect(resolver.resolve("a blue ball", command: "Go to the BLUE BALL, please") == "a blue ball")
    }

    /// The faults of issue 13: a synonym of the shape and a colour not in view let a visible
    /// object of another colour (or kind) through.
    @Test func aSynonymDoesNotLetAnotherColourThrough() {
        let demo = Self.demo
        #expect(demo.resolve("a red cube", command: "push the purple block gently") == "a purple cube")
        #expect(demo.resolve("an orange cube", command: "push the purple block gently") == "a purple cube")
        #expect(demo.resolve("a red ring", command: "lift the purple sphere") == "a purple ball")
        #expect(demo.resolve("a purple ring", command: "lift the purple sphere") == "a purple ball")
        #expect(demo.resolve("a purple cube", command: "grab the blue brick") == "a blue cube")
        // The model's synonym for the right object becomes the label.
        #expect(demo.resolve("a purple block", command: "push the purple block gently") == "a purple cube")
        #expect(demo.resolve("the yellow donut", command: "look at the yellow hoop") == "a yellow ring")
    }

    @Test func anObjectOutsideTheVocabularyIsKeptInTheOperatorsWords() {
        let demo = Self.demo
        #expect(demo.resolve("a red cube", command: "pick up the pink cube") == "a pink cube")
        #expect(demo.resolve("a green cone", command: "pick up the green pyramid") == "a green pyramid")
        #expect(demo.resolve("a red ball", command: "pick up the apple") == "an apple")
        #expect(demo.resolve("", command: "open the gripper") == "a gripper")
        #expect(demo.resolve("the gripper", command: "open the gripper") == "the gripper")
    }

    @Test func whatTheOperatorLeftOpenMayBeFilledIn() {
        let demo = Self.demo
        #expect(demo.resolve("a red cube", command: "pick up the cube") == "a red cube")
        #expect(demo.resolve("a red cone", command: "grab the red one") == "a red cone")
        #expect(demo.resolve("a red cube", command: "bring me something red") == "a red cube")
        // ... but not against what the operator did say.
        #expect(demo.resolve("a blue ball", command: "pick up the cube") == "a cube")
        #expect(demo.resolve("a blue cone", command: "grab the red one") == "a red one")
        #expect(demo.resolve("a red cone", command: "push the cone that is purple") == "a purple cone")
    }

    @Test func targetAndDestinationKeepTheirRoles() {
        let demo = Self.demo
        let command = "put the red ball on the blue cube"
        let right = InterpretedTask(action: "place", target: "a red ball", destination: "a blue cube")
        #expect(demo.resolve(right, command: command) == right)
        // A substituted target is the object acted on; a substituted destination the place.
        let wrong = InterpretedTask(action: "place", target: "a green ring", destination: "a yellow cone")
        #expect(demo.resolve(wrong, command: command) == right)
        // A substitute sharing a kind with one of them is taken for that one.
        let swapped = InterpretedTask(action: "place", target: "a green ball", destination: "an orange cube")
        #expect(demo.resolve(swapped, command: command) == right)
    }

    /// A command that names no object and is not vague has no target but the operator's own words.
    @Test func aCommandNamingNoObjectGetsNoInventedTarget() {
        let demo = Self.demo
        #expect(demo.resolve(InterpretedTask(action: "stop", target: "a yellow ring"), command: "stop right now")
            == InterpretedTask(action: "stop", target: ""))
        #expect(demo.resolve("a blue cube", command: "freeze!") == "")
        #expect(demo.resolve("home", command: "go home") == "home")
        #expect(demo.resolve("a green cylinder", command: "pick it up") == "a green cylinder")
    }

    @Test func aDestinationIsAnotherObjectTheCommandNamesOrAnAttribute() {
        let demo = Self.demo
        // Not an object: kept as an attribute.
        #expect(demo.resolve(InterpretedTask(action: "pick", target: "a blue ball", destination: "left"),
                             command: "pick up the small blue ball on the left")
            == InterpretedTask(action: "pick", target: "a blue ball", attributes: ["left"]))
        // No other object named: an invented destination is dropped.
        #expect(demo.resolve(InterpretedTask(action: "push", target: "a red ball", destination: "a green cone"),
                             command: "push the red ball")
            == InterpretedTask(action: "push", target: "a red ball"))
        // The target again as the destination: the other object named.
        #expect(demo.resolve(InterpretedTask(action: "place", target: "a red ball", destination: "a red ball"),
                             command: "put the red ball on the blue cube")
            == InterpretedTask(action: "place", target: "a red ball", destination: "a blue cube"))
    }

    @Test func aLabelWithoutItsArticleBecomesTheLabel() {
        #expect(resolver.resolve("red cube", command: "grab it, the red cube") == "a red cube")
        #expect(resolver.resolve("the green ring", command: "look at that") == "a green ring")
    }

    @Test func aPhraseTheCommandDoesNotNameIsKept() {
        #expect(resolver.resolve("an apple", command: "bring me a healthy snack") == "an apple")
        #expect(resolver.resolve("a yellow cone", command: "look at the yellow cone") == "a yellow cone")
        #expect(resolver.resolve("a green ring", command: "pick up that thing") == "a green ring")
        #expect(resolver.resolve("", command: "stop") == "")
    }

    /// A vocabulary without articles (the webcam launch file's) and with a two-word noun.
    @Test func vocabularyNounsWithoutArticles() {
        let webcam = PhraseResolver(vocabulary: ["cup", "mug", "bottle", "remote control", "keys"])
        #expect(webcam.resolve("a cup", command: "bring me the mug") == "mug")
        #expect(webcam.resolve("remote control", command: "hand me the remote control please") == "remote control")
        #expect(webcam.resolve("a bottle", command: "where are my keys, go to the keys") == "keys")
        #expect(webcam.resolve("a bottle", command: "bring me a drink") == "bottle")
    }
}
