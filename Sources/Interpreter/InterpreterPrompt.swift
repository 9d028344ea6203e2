import Foundation
public import Generation

/// The interpreter's system prompt and few-shot examples (from the prompt file
/// the launch file names). Together they are the shared prefix of every command.
public struct InterpreterPrompt: Sendable, Equatable {
    public struct Example: Sendable, Equatable {
        public var command: String
        /// What CLIP saw when the command came (the "Visible:" line), possibly empty.
        public var visible: [String]
        public var task: InterpretedTask

        public init(command: String, visible: [String], task: InterpretedTask) {
            self.command = command
            self.visible = visible
            self.task = task
        }
    }

    public var system: String
    public var examples: [Example]
    /// Words that name an action outright ("lift" is pick), by action: a command whose first such
    /// word is one of them gets that action whatever the model wrote (see `ActionVerbs`).
    public var verbs: [String: [String]]

    public init(system: String, examples: [Example], verbs: [String: [String]] = [:]) {
        self.system = system
        self.examples = examples
        self.verbs = verbs
    }

    /// System turn, then each example as a user turn and the assistant's JSON answer.
    public var messages: [ChatMessage] {
        [.system(system)] + examples.flatMap { example in
            [ChatMessage.user(Self.userTurn(command: example.command, visible: example.visible)),
             ChatMessage.assistant(Self.answer(example.task))]
        }
    }

    /// The user turn of a command: the words, and what the camera currently shows,
    /// so a vague command ("a healthy snack") can be tied to something in view.
    public static func userTurn(command: String, visible: [String]) -> String {
        let seen = visible.isEmpty ? "nothing recognised" : visible.joined(separator: ", ")
        return "Command: \(command)\nVisible: \(seen)"
    }

    /// An example answer exactly as the constrained decoder writes one: compact JSON,
    /// keys in schema order, optional keys left out when empty.
    public static func answer(_ task: InterpretedTask) -> String {
        var text = "{\"action\":\(quoted(task.action)),\"target\":\(quoted(task.target))"
        if let destination = task.destination { text += ",\"destination\":\(quoted(destination))" }
        if !task.attributes.isEmpty { text += ",\"attributes\":[\(task.attributes.map(quoted).joined(separator: ","))]" }
        return text + "}"
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
