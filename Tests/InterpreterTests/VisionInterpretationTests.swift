import Foundation
import Generation
import Imaging
import Interpreter
import LLaVA
import LanguageModel
import Testing
import Tokenizers

/// The interpreter with a LLaVA image encoder: the tiny random LLaVA (Qwen2 backbone, linear
/// projector) from Tests/Fixtures/llava, as llama.cpp's two files.
@Suite struct VisionInterpretationTests {
    static let folder = InterpreterFixtures.repository.appendingPathComponent("Tests/Fixtures/llava/qwen2-linear").path

    static func interpreter() throws -> Interpreter {
        let model = try LanguageModel(gguf: folder + "/model.gguf", tokenBudget: 4096, chunkSize: 64)
        let tokenizer = try LMTokenizer(ggufPath: folder + "/model.gguf")
        let encoder = try LLaVALoader.mmproj(path: folder + "/mmproj.gguf")
        let prompt = try InterpreterPrompt.load(path: InterpreterFixtures.shippedPrompt)
        return try Interpreter(model: model, tokenizer: tokenizer, template: .chatML(defaultSystem: nil), prompt: prompt,
                               settings: .init(actions: InterpreterFixtures.actions, maxTokens: 200),
                               vision: .init(encoder: encoder))
    }

    static func image() throws -> RGBImage {
        try PNGCodec.decode(Array(try Data(contentsOf: InterpreterFixtures.repository.appendingPathComponent("Tests/Fixtures/llava/image.png"))))
    }

    @Test func theFramesImageRowsArePartOfTheCommandsPrompt() throws {
        let interpreter = try Self.interpreter()
        let encoder = try #require(interpreter.vision?.encoder)
        let rows = encoder.imageRows()
        #expect(rows > 0)
        let text = interpreter.promptText(command: "pick up the red cube", visible: [], withImage: true)
        #expect(text.contains(ImagePrompt.marker))
        let withoutImage = try interpreter.tokenizer.encode(interpreter.promptText(command: "pick up the red cube", visible: []),
                                                            addSpecial: true, parseSpecial: true).count

        let session = try interpreter.session(command: "pick up the red cube", visible: [], image: try Self.image(),
                                              deadlineNs: InterpretationTests.farFuture, now: InterpretationTests.clock)
        // The image takes one step per vision-tower block (plus its embeddings), then one for
        // the projector and the prompt around its rows, before any prefill.
        let towerSteps = encoder.configuration.visionLayersToRun + 1
        for _ in 0..<(towerSteps + 1) { #expect(session.step() == .running) }
        // The prefix before the image marker is reused; the image rows and the command's own
        // tokens are run: every prompt position is accounted for once.
        #expect(session.reusedTokens > 100)
        #expect(session.commandTokens >= rows)
        let markerTokens = interpreter.tokenizer.encode(ImagePrompt.marker + "\n", addSpecial: false, parseSpecial: true).count
        #expect(abs(session.reusedTokens + session.commandTokens - rows - (withoutImage + 1)) <= markerTokens + 1)
        let (outcome, _) = InterpretationTests.run(session)
        switch outcome {
        case .interpreted(let task, _): #expect(InterpreterFixtures.actions.contains(task.action))
        case .failed(let why): #expect(why.contains("not complete after 200 tokens"))
        default: Issue.record("unexpected outcome \(outcome)")
        }
    }

    @Test func aTextOnlyCommandStillRunsWithoutAnImage() throws {
        let interpreter = try Self.interpreter()
        let session = try interpreter.session(command: "stop the robot", visible: [], image: nil,
                                              deadlineNs: InterpretationTests.farFuture, now: InterpretationTests.clock)
        #expect(session.reusedTokens > 100)
        #expect(InterpretationTests.run(session).steps > 1)
    }
}
