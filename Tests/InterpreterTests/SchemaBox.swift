import StructuredOutput

/// Keeps the StructuredOutput import in one file.
struct JSONMatcherBox {
    let schema: JSONSchema
    init(_ json: String) throws { schema = try JSONSchema(json: json) }
    func accepts(_ text: String) -> Bool { schema.matcher().accepts(text) }
}
