import Foundation
import Generation
import LanguageModel
import StructuredOutput
import TestSupport
import Testing
import Tokenizers

/// The generator with a schema constraint, on the committed tiny models (random weights:
/// left alone they write gibberish) and on the real Qwen2.5 GGUF.
@Suite struct ConstrainedGenerationTests {
    static let tinyModels = ["qwen2-gqa-tied-qkvbias", "llama-gqa-untied"]

    static func generator(_ path: String, budget: Int) throws -> Generator {
        Generator(model: try LanguageModel(gguf: path, tokenBudget: budget), tokenizer: try LMTokenizer(ggufPath: path))
    }

    @Test(arguments: tinyModels)
    func greedyOnTinyModelsValidates(model: String) throws {
        let generator = try Self.generator(Fixtures.path("tiny/\(model)/model-f32.gguf"), budget: 600)
        let prompt = generator.tokenizer.encode("The robot picks up", addSpecial: true, parseSpecial: false)
        for (name, schemaText) in TestSchemas.all {
            generator.model.reset()
            let constraint = JSONSchemaConstraint(schema: try JSONSchema(json: schemaText), tokenizer: generator.tokenizer)
            let result = try generator.generate(prompt: prompt, options: .init(maxTokens: 480), constraint: constraint)
            // Unconstrained, a random model never writes JSON; constrained, it must end with a valid document.
            let ended = result.stopReason == .constraintComplete || {
                if case .endOfGeneration = result.stopReason { return true } else { return false }
            }()
            #expect(ended, "\(model) \(name): \(result.stopReason) after \(result.tokens.count) tokens: \(result.text.debugDescription)")
            #expect(validationProblem(result.text, schema: schemaText) == nil, "\(model) \(name): \(validationProblem(result.text, schema: schemaText) ?? "")")
        }
    }

    @Test func samplingComposesWithTheMask() throws {
        let generator = try Self.generator(Fixtures.path("tiny/qwen2-gqa-tied-qkvbias/model-f32.gguf"), budget: 600)
        let prompt = generator.tokenizer.encode("go", addSpecial: true, parseSpecial: false)
        let settings: [SamplingSettings] = [
            .init(temperature: 1.5, seed: 1), .init(temperature: 0.8, topK: 5, seed: 2), .init(temperature: 1, topP: 0.5, seed: 3),
            .init(temperature: 1, minP: 0.2, repetitionPenalty: 1.3, seed: 4), .init(temperature: 0, repetitionPenalty: 1.5),
        ]
        for sampling in settings {
            generator.model.reset()
            let constraint = JSONSchemaConstraint(schema: try JSONSchema(json: TestSchemas.everything), tokenizer: generator.tokenizer)
            let result = try generator.generate(prompt: prompt, options: .init(maxTokens: 400, sampling: sampling), constraint: constraint)
            #expect(validationProblem(result.text, schema: TestSchemas.everything) == nil, "\(sampling): \(result.text.debugDescription)")
        }
    }

    /// A task intent from the real model: the instruction decides the action.
    @Test(.enabled(if: BuildConfiguration.isOptimized && LocalModels.hasQwenCoder, "needs an optimized build and the Qwen2.5 GGUF (make models)"))
    func qwenWritesAValidTaskIntent() throws {
        let generator = try Self.generator(LocalModels.qwenCoderPath, budget: 256)
        let system = "You turn a robot instruction into a JSON task intent with an action (pick, place, go_to or stop) and a target object."
        let prompt = "<|im_start|>system\n\(system)<|im_end|>\n<|im_start|>user\npick up the red cup<|im_end|>\n<|im_start|>assistant\n"
        let constraint = JSONSchemaConstraint(schema: try JSONSchema(json: TestSchemas.taskIntent), tokenizer: generator.tokenizer)
        let result = try generator.generate(text: prompt, options: .init(maxTokens: 64), constraint: constraint)
        #expect(result.stopReason == .constraintComplete)
        #expect(validationProblem(result.text, schema: TestSchemas.taskIntent) == nil, "\(result.text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.text.utf8)) as? [String: Any])
        #expect(object["action"] as? String == "pick", "\(result.text)")
        #expect((object["target"] as? String)?.contains("cup") == true, "\(result.text)")
    }
}
