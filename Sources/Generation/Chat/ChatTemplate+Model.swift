import Foundation
import ModelFiles

extension ChatTemplate {
    /// The Jinja chat template a model ships: `tokenizer.chat_template` of a GGUF file, or
    /// `chat_template` of a Hugging Face folder's tokenizer_config.json (a string, or the
    /// "default" entry of a list of named templates). nil when there is none or it cannot be read.
    public static func jinja(ofModel path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if !isDirectory.boolValue {
            guard let file = try? GGUFFile(path: path) else { return nil }
            return file.metadata["tokenizer.chat_template"]?.stringValue
        }
        let config = URL(fileURLWithPath: path).appendingPathComponent("tokenizer_config.json")
        guard let data = try? Data(contentsOf: config),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if let text = object["chat_template"] as? String { return text }
        if let named = object["chat_template"] as? [[String: Any]] {
            return (named.first { $0["name"] as? String == "default" } ?? named.first)?["template"] as? String
        }
        return nil
    }

    /// The template of a model: recognised from the one it ships, else ChatML without a default
    /// system prompt (llama.cpp's fallback too). `recognised` says which case applied.
    public static func of(model path: String) -> (template: ChatTemplate, recognised: Bool) {
        if let jinja = jinja(ofModel: path), let template = recognise(jinja) { return (template, true) }
        return (.chatML(defaultSystem: nil), false)
    }
}
