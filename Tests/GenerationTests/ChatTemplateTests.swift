import Foundation
import Generation
import Testing
import Tokenizers

@Suite struct ChatTemplateTests {
    @Test func chatMLWithAndWithoutASystemTurn() {
        let qwen = ChatTemplate.chatML(defaultSystem: ChatTemplate.qwen25DefaultSystem)
        #expect(qwen.render(prompt: "pick up the red cup", system: "You turn robot commands into JSON tasks.") ==
            "<|im_start|>system\nYou turn robot commands into JSON tasks.<|im_end|>\n<|im_start|>user\npick up the red cup<|im_end|>\n<|im_start|>assistant\n")
        #expect(qwen.render(prompt: "hi") ==
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        #expect(ChatTemplate.chatML(defaultSystem: nil).render(prompt: "hi") == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func llama2() {
        #expect(ChatTemplate.llama2.render(prompt: "hi", system: "Be brief.") == "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nhi [/INST]")
        #expect(ChatTemplate.llama2.render(prompt: "hi") == "[INST] hi [/INST]")
        #expect(ChatTemplate.llama2.render([.system("S"), .user("a"), .assistant("b"), .user("c")]) ==
            "[INST] <<SYS>>\nS\n<</SYS>>\n\na [/INST] b </s><s>[INST] c [/INST]")
    }

    @Test func vicunaAsLLaVA15() {
        #expect(ChatTemplate.vicuna.render(prompt: "What is this?", system: "You are a robot.") == "You are a robot. USER: What is this? ASSISTANT:")
        #expect(ChatTemplate.vicuna.render(prompt: "hi") == ChatTemplate.vicunaDefaultSystem + " USER: hi ASSISTANT:")
        #expect(ChatTemplate.vicuna.render([.system("S."), .user("a"), .assistant("b"), .user("c")]) == "S. USER: a ASSISTANT: b</s>USER: c ASSISTANT:")
    }

    @Test func recognisedFromJinjaMarkers() {
        let qwen25 = """
            {%- else %}\n        {%- if messages[0]['role'] == 'system' %}\n            {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n        {%- else %}\n            {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
            """
        #expect(ChatTemplate.recognise(qwen25) == .chatML(defaultSystem: ChatTemplate.qwen25DefaultSystem))
        #expect(ChatTemplate.recognise("{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>' + '\\n'}}{% endfor %}") == .chatML(defaultSystem: nil))
        #expect(ChatTemplate.recognise("{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}") == .llama2)
        #expect(ChatTemplate.recognise("{{ 'USER: ' + m['content'] + ' ' }}{{ 'ASSISTANT:' }}") == .vicuna)
        #expect(ChatTemplate.recognise("{{ messages }}") == nil)
    }

    struct Prompts: Decodable {
        struct Message: Decodable { var role: String; var content: String }
        struct Prompt: Decodable { var name: String; var kind: String; var messages: [Message]?; var text: String; var token_ids: [Int32] }
        var prompts: [Prompt]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lm")
    static let qwenPath = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path

    static func chatPrompts() throws -> [Prompts.Prompt] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("qwen2.5-coder-0.5b-q4_k_m/prompts.json"))
        return try JSONDecoder().decode(Prompts.self, from: data).prompts.filter { $0.kind == "chat" }
    }

    static func messages(_ prompt: Prompts.Prompt) -> [ChatMessage] {
        (prompt.messages ?? []).map { ChatMessage(ChatMessage.Role(rawValue: $0.role)!, $0.content) }
    }

    @Test func chatMLReproducesTheQwenReferencePromptTexts() throws {
        let prompts = try Self.chatPrompts()
        #expect(prompts.count == 4)
        let template = ChatTemplate.chatML(defaultSystem: ChatTemplate.qwen25DefaultSystem)
        for prompt in prompts { #expect(template.render(Self.messages(prompt)) == prompt.text, "\(prompt.name)") }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: qwenPath), "no Qwen GGUF (make models)"))
    func chatMLReproducesTheQwenReferencePromptIdsWithTheGGUFTemplate() throws {
        let tokenizer = try LMTokenizer(ggufPath: Self.qwenPath)
        let file = ChatTemplate.jinja(ofModel: Self.qwenPath)
        let jinja = try #require(file)
        let template = try #require(ChatTemplate.recognise(jinja))
        #expect(template == .chatML(defaultSystem: ChatTemplate.qwen25DefaultSystem))
        for prompt in try Self.chatPrompts() {
            let ids = tokenizer.encode(template.render(Self.messages(prompt)), addSpecial: true, parseSpecial: true)
            #expect(ids == prompt.token_ids, "\(prompt.name)")
        }
    }
}
