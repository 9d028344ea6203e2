import Foundation

/// The prompt formats of the chat models Sightline runs, rendered in Swift (no Jinja).
/// Each renders a conversation and the opening of the assistant's reply; the text is meant
/// for `LMTokenizer.encode(_:addSpecial: true, parseSpecial: true)`, which adds BOS where the
/// vocabulary wants it (so no template writes a leading BOS itself).
public enum ChatTemplate: Sendable, Equatable {
    /// ChatML (Qwen): `<|im_start|>role\ncontent<|im_end|>\n` per turn, then
    /// `<|im_start|>assistant\n`. `defaultSystem` is used when the conversation has no system
    /// turn (Qwen2.5's template: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.").
    case chatML(defaultSystem: String?)
    /// LLaMA-2 chat: `[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s><s>[INST] user [/INST]`.
    case llama2
    /// Vicuna v1 / LLaVA-1.5: `system USER: user ASSISTANT: assistant</s>USER: user ASSISTANT:`,
    /// with LLaVA-1.5's system prompt when none is given.
    case vicuna

    public static let qwen25DefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
    public static let vicunaDefaultSystem =
        "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions."

    /// The template a Jinja `tokenizer.chat_template` (GGUF) or `chat_template`
    /// (tokenizer_config.json) stands for, recognised by its distinctive markers; nil when
    /// none matches. For ChatML, a literal default system prompt in the template is kept.
    public static func recognise(_ jinja: String) -> ChatTemplate? {
        if jinja.contains("<|im_start|>") { return .chatML(defaultSystem: literalChatMLSystem(in: jinja)) }
        if jinja.contains("[INST]") { return .llama2 }
        if jinja.contains("USER:") && jinja.contains("ASSISTANT:") { return .vicuna }
        return nil
    }

    /// The prompt for `messages` followed by the start of the assistant's turn.
    public func render(_ messages: [ChatMessage]) -> String {
        switch self {
        case .chatML(let defaultSystem): Self.renderChatML(messages, defaultSystem: defaultSystem)
        case .llama2: Self.renderLlama2(messages)
        case .vicuna: Self.renderVicuna(messages)
        }
    }

    /// `[.system(system)]` (when given) + `[.user(prompt)]`, rendered.
    public func render(prompt: String, system: String? = nil) -> String {
        render((system.map { [ChatMessage.system($0)] } ?? []) + [.user(prompt)])
    }

    private static func renderChatML(_ messages: [ChatMessage], defaultSystem: String?) -> String {
        var text = ""
        if messages.first?.role != .system, let defaultSystem {
            text += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
        }
        for message in messages {
            text += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
        }
        return text + "<|im_start|>assistant\n"
    }

    private static func renderLlama2(_ messages: [ChatMessage]) -> String {
        var text = ""
        var system: String?
        var firstUser = true
        for message in messages {
            switch message.role {
            case .system:
                system = message.content
            case .user:
                if !firstUser { text += "<s>" }
                text += "[INST] "
                if let s = system {
                    text += "<<SYS>>\n\(s)\n<</SYS>>\n\n"
                    system = nil
                }
                text += "\(message.content) [/INST]"
                firstUser = false
            case .assistant:
                text += " \(message.content) </s>"
            }
        }
        return text
    }

    private static func renderVicuna(_ messages: [ChatMessage]) -> String {
        var text = messages.first?.role == .system ? messages[0].content : vicunaDefaultSystem
        text += " "
        for message in messages {
            switch message.role {
            case .system: continue
            case .user: text += "USER: \(message.content) "
            case .assistant: text += "ASSISTANT: \(message.content)</s>"
            }
        }
        return text + "ASSISTANT:"
    }

    /// A default system prompt written literally in a ChatML Jinja template: the text after
    /// `<|im_start|>system\n` (a real or an escaped newline) up to `<|im_end|>`, when it holds
    /// no Jinja expression or string concatenation.
    static func literalChatMLSystem(in jinja: String) -> String? {
        for opening in ["<|im_start|>system\\n", "<|im_start|>system\n"] {
            var rest = jinja[...]
            while let start = rest.range(of: opening) {
                rest = rest[start.upperBound...]
                guard let end = rest.range(of: "<|im_end|>") else { break }
                let candidate = rest[..<end.lowerBound]
                if !candidate.isEmpty && !candidate.contains(where: { "'\"{}+".contains($0) }) { return String(candidate) }
            }
        }
        return nil
    }
}
