import ConfigYAML
import Foundation
import Generation
import Interpreter
import LanguageModel
import StructuredOutput
import Testing
import Tokenizers

enum InterpreterFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let shippedPrompt = repository.appendingPathComponent("Launch/prompts/interpreter.yaml").path
    static let tinyQwen = repository.appendingPathComponent("Tests/Fixtures/lm/tiny/qwen2-gqa-tied-qkvbias/hf").path
    static let qwenPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
    static let actions = ["pick", "place", "give", "push", "open", "close", "go_to", "look_at", "follow", "stop"]

    /// The real model takes seconds per command in a debug build; run it only optimized.
    static var qwenAvailable: Bool {
        #if DEBUG
        false
        #else
        FileManager.default.fileExists(atPath: qwenPath)
        #endif
    }

    static func scratch(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "sightline-prompt-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

@Suite struct InterpreterPromptTests {
    @Test func shippedPromptLoads() throws {
        let prompt = try InterpreterPrompt.load(path: InterpreterFixtures.shippedPrompt)
        #expect(prompt.system.contains("JSON"))
        #expect(prompt.examples.count >= 4)
        #expect(prompt.examples[0].task == InterpretedTask(action: "pick", target: "a red cube"))
        // Every example answer is itself valid under the task schema the decoder enforces.
        let schema = try JSONSchema(json: TaskSchema.json(actions: InterpreterFixtures.actions))
        for example in prompt.examples {
            #expect(schema.matcher().accepts(InterpreterPrompt.answer(example.task)), "\(example.command)")
        }
    }

    @Test func answersAreCompactJSONInSchemaOrder() {
        let task = InterpretedTask(action: "place", target: "a \"blue\" ball", destination: "a green cylinder", attributes: ["gently"])
        #expect(InterpreterPrompt.answer(task)
            == #"{"action":"place","target":"a \"blue\" ball","destination":"a green cylinder","attributes":["gently"]}"#)
        let decoded = try? JSONDecoder().decode(InterpretedTask.self, from: Data(InterpreterPrompt.answer(task).utf8))
        #expect(decoded == task)
    }

    @Test func unknownKeyIsReportedWithItsLine() throws {
        let path = try InterpreterFixtures.scratch("""
            system: be brief
            examples:
              - command: pick the cup
                task: {action: pick, target: a cup, colour: red}
            """)
        #expect {
            try InterpreterPrompt.load(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("\(path):4") && text.contains("colour") && text.contains("unknown key")
        }
    }

    @Test func verbsAreReadAndAnEmptyListIsAnError() throws {
        let shipped = try InterpreterPrompt.load(path: InterpreterFixtures.shippedPrompt)
        #expect(shipped.verbs["pick"]?.contains("lift") == true)
        #expect(Set(shipped.verbs.keys).isSubset(of: Set(InterpreterFixtures.actions)))
        let path = try InterpreterFixtures.scratch("system: be brief\nverbs:\n  pick: []\n")
        #expect {
            try InterpreterPrompt.load(path: path)
        } throws: { error in "\(error)".contains("verbs.pick") }
    }

    @Test func missingSystemPromptIsAnError() throws {
        let path = try InterpreterFixtures.scratch("examples: []\n")
        #expect(throws: YAMLFileError.self) { try InterpreterPrompt.load(path: path) }
    }
}
