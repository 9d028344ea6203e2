import Interpreter
import Testing

@Suite struct PhraseResolverTests {
    let resolver = PhraseResolver(vocabulary: ["a red cube", "an orange cube", "a blue ball", "an apple", "a green ring"])

    @Test func theOperatorsNamedObjectWinsOverASubstitute() {
        #expect(resolver.resolve("an orange cube", command: "pick up the red cube") == "a red cube")
        #expect(resolver.resolve("a blue ball", command: "Go to the BLUE BALL, please") == "a blue ball")
    }

    @Test func aLabelWithoutItsArticleBecomesTheLabel() {
        #expect(resolver.resolve("red cube", command: "grab it, the red cube") == "a red cube")
        #expect(resolver.resolve("the green ring", command: "look at that") == "a green ring")
    }

    @Test func aPhraseTheCommandDoesNotNameIsKept() {
        #expect(resolver.resolve("an apple", command: "bring me a healthy snack") == "an apple")
        #expect(resolver.resolve("a yellow cone", command: "look at the yellow cone") == "a yellow cone")
        #expect(resolver.resolve("", command: "stop") == "")
    }
}
