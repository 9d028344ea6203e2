public import ConfigYAML

extension InterpreterPrompt {
    /// Reads a prompt file (YAML: `system`, `examples: [{command, visible, task}]`, `verbs:
    /// {action: [words]}`; see
    /// Launch/prompts/interpreter.yaml). Errors name the file, line and key.
    public static func load(path: String) throws(YAMLFileError) -> InterpreterPrompt {
        let source = YAMLSource(file: path)
        let root = try YAMLValue.parse(try YAMLSource.readText(of: path), source: source)
        let top = try root.mapping(allowing: ["system", "examples", "verbs"])
        let system = try top.required("system").string()
        var examples: [Example] = []
        if let list = top.optional("examples") {
            for item in try list.sequence() {
                let fields = try item.mapping(allowing: ["command", "visible", "task"])
                let command = try fields.required("command").string()
                let visible = try fields.optional("visible")?.strings() ?? []
                let taskValue = try fields.required("task")
                let task = try taskValue.mapping(allowing: ["action", "target", "destination", "attributes"])
                let action = try task.required("action").string()
                let example = Example(
                    command: command, visible: visible,
                    task: InterpretedTask(
                        action: action, target: try task.optional("target")?.string() ?? "",
                        destination: try task.optional("destination")?.string(),
                        attributes: try task.optional("attributes")?.strings() ?? []))
                try task.finish()
                try fields.finish()
                examples.append(example)
            }
        }
        var verbs: [String: [String]] = [:]
        if let value = top.optional("verbs") {
            let map = try value.mapping()
            for action in map.keys {
                let words = try map.required(action).strings()
                guard !words.isEmpty else { throw value.error("verbs.\(action) lists no words") }
                verbs[action] = words.map { $0.lowercased() }
            }
        }
        try top.finish()
        guard !system.isEmpty else { throw root.error("the system prompt is empty") }
        return InterpreterPrompt(system: system, examples: examples, verbs: verbs)
    }
}
