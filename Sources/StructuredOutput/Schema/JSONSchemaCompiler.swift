import Foundation

/// Turns a JSON Schema subset into a `JSONGrammar`. Output is compact JSON: no whitespace
/// except one optional space after ':' and ','; object properties in the order the schema
/// declares them (optional ones may be left out, no others appear); enum and const values
/// exactly as the schema writes them. Anything outside the subset is refused with its
/// keyword and JSON pointer, never ignored.
struct JSONSchemaCompiler {
    static let supportedSummary =
        "type, properties, required, additionalProperties, items, minItems, maxItems, minLength, maxLength, "
        + "minimum, maximum, exclusiveMinimum, exclusiveMaximum (integers), enum, const, anyOf; "
        + "annotations title, description, default, examples, $schema, $id, $comment"

    static let annotations: Set<String> = ["title", "description", "default", "examples", "$schema", "$id", "$comment"]
    static let keywordsOfType: [String: Set<String>] = [
        "object": ["properties", "required", "additionalProperties"],
        "array": ["items", "minItems", "maxItems"],
        "string": ["minLength", "maxLength"],
        "integer": ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
        "number": [],
        "boolean": [],
        "null": [],
    ]
    static let numberBoundKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
    static let allKeywords: Set<String> = annotations
        .union(keywordsOfType.values.joined()).union(["type", "enum", "const", "anyOf"])
    /// Integers are generated with at most 18 digits, so they fit Int64 exactly.
    static let integerLimit: Int64 = 999_999_999_999_999_999

    var nodes: [JSONGrammar.Node] = []
    var objectTable: [Int32] = []
    var anyOfTable: [Int32] = []
    var literals = LiteralTrieBuilder()
    /// Per node: the bytes a value of it can start with, and the frames it needs.
    var firstBytes: [Set<UInt8>] = []
    var depths: [Int] = []

    static func compile(_ schema: JSONValue) throws(JSONSchemaError) -> JSONGrammar {
        var compiler = JSONSchemaCompiler()
        let root = try compiler.node(schema, path: "")
        return JSONGrammar(
            nodes: compiler.nodes, objectTable: compiler.objectTable, anyOfTable: compiler.anyOfTable,
            literals: compiler.literals, root: root, maxDepth: compiler.depths[Int(root)])
    }

    private mutating func add(_ node: JSONGrammar.Node, firstBytes: Set<UInt8>, depth: Int) -> Int32 {
        nodes.append(node)
        self.firstBytes.append(firstBytes)
        depths.append(depth)
        return Int32(nodes.count - 1)
    }

    private mutating func node(_ schema: JSONValue, path: String) throws(JSONSchemaError) -> Int32 {
        guard case .object(let members) = schema else {
            throw .invalidSchema(path: path, reason: "a schema must be an object, found \(schema.typeName)")
        }
        for member in members where !Self.allKeywords.contains(member.key) {
            throw .unsupportedKeyword(member.key, path: pointer(path, member.key))
        }
        let keywords = Set(members.map(\.key)).subtracting(Self.annotations)

        if keywords.contains("enum") || keywords.contains("const") {
            return try literal(schema, keywords: keywords, path: path)
        }
        if let branches = schema["anyOf"] {
            if let other = keywords.subtracting(["anyOf"]).sorted().first {
                throw .invalidSchema(path: pointer(path, other), reason: "\(other) cannot be combined with anyOf here; put it in each branch")
            }
            guard case .array(let list) = branches, !list.isEmpty else {
                throw .invalidSchema(path: pointer(path, "anyOf"), reason: "anyOf must be a non-empty array of schemas")
            }
            var compiled: [(node: Int32, path: String)] = []
            for (i, branch) in list.enumerated() {
                let branchPath = pointer(pointer(path, "anyOf"), i)
                compiled.append((try node(branch, path: branchPath), branchPath))
            }
            return try anyOf(compiled, path: pointer(path, "anyOf"))
        }
        guard let type = schema["type"] else {
            throw .invalidSchema(path: path, reason: "a schema needs a type, enum, const or anyOf (any value is not supported)")
        }
        let types: [String]
        switch type {
        case .string(let name): types = [name]
        case .array(let names):
            var list: [String] = []
            for (i, name) in names.enumerated() {
                guard case .string(let text) = name else {
                    throw .invalidSchema(path: pointer(pointer(path, "type"), i), reason: "type names must be strings")
                }
                list.append(text)
            }
            guard !list.isEmpty, Set(list).count == list.count else {
                throw .invalidSchema(path: pointer(path, "type"), reason: "a type list must be non-empty without repeats")
            }
            types = list
        default: throw .invalidSchema(path: pointer(path, "type"), reason: "type must be a string or an array of strings")
        }
        for name in types where Self.keywordsOfType[name] == nil {
            throw .invalidSchema(path: pointer(path, "type"), reason: "unknown type \"\(name)\" (object, array, string, integer, number, boolean, null)")
        }
        let applicable = types.reduce(into: Set(["type"])) { $0.formUnion(Self.keywordsOfType[$1]!) }
        if let stray = keywords.subtracting(applicable).sorted().first {
            if types.contains("number") && Self.numberBoundKeywords.contains(stray) {
                throw .invalidSchema(path: pointer(path, stray), reason: "\(stray) is supported for type integer only (bounds on decimals are not enforced exactly)")
            }
            throw .invalidSchema(path: pointer(path, stray), reason: "\(stray) does not apply to type \(types.joined(separator: ", "))")
        }
        if types.count == 1 { return try typed(types[0], schema, path: path) }
        var compiled: [(node: Int32, path: String)] = []
        for name in types { compiled.append((try typed(name, schema, path: path), pointer(path, "type"))) }
        return try anyOf(compiled, path: pointer(path, "type"))
    }

    private mutating func typed(_ type: String, _ schema: JSONValue, path: String) throws(JSONSchemaError) -> Int32 {
        switch type {
        case "object": return try object(schema, path: path)
        case "array":
            guard let items = schema["items"] else {
                throw .invalidSchema(path: path, reason: "an array needs items (a schema for every element)")
            }
            guard case .object = items else {
                throw .invalidSchema(path: pointer(path, "items"), reason: "items must be one schema (tuple forms are not supported)")
            }
            let item = try node(items, path: pointer(path, "items"))
            let (low, high) = try countRange(schema, path: path, minKey: "minItems", maxKey: "maxItems")
            return add(.init(kind: .array, a: item, b: low, c: high), firstBytes: [UInt8(ascii: "[")], depth: 1 + depths[Int(item)])
        case "string":
            let (low, high) = try countRange(schema, path: path, minKey: "minLength", maxKey: "maxLength")
            return add(.init(kind: .string, b: low, c: high), firstBytes: [UInt8(ascii: "\"")], depth: 1)
        case "integer":
            let (low, high) = try integerRange(schema, path: path)
            var first = Set((UInt8(ascii: "0")...UInt8(ascii: "9")))
            if low < 0 { first.insert(UInt8(ascii: "-")) }
            return add(.init(kind: .integer, low: low, high: high), firstBytes: first, depth: 1)
        case "number":
            return add(.init(kind: .number), firstBytes: Set(Array("-0123456789".utf8)), depth: 1)
        case "boolean": return literalNode([.bool(true), .bool(false)])
        default: return literalNode([.null])
        }
    }

    private mutating func object(_ schema: JSONValue, path: String) throws(JSONSchemaError) -> Int32 {
        var properties: [(key: String, node: Int32)] = []
        if let value = schema["properties"] {
            guard case .object(let members) = value else {
                throw .invalidSchema(path: pointer(path, "properties"), reason: "properties must be an object of schemas")
            }
            for member in members {
                properties.append((member.key, try node(member.value, path: pointer(pointer(path, "properties"), member.key))))
            }
        }
        var required = Set<Int>()
        if let value = schema["required"] {
            guard case .array(let names) = value else {
                throw .invalidSchema(path: pointer(path, "required"), reason: "required must be an array of property names")
            }
            for (i, name) in names.enumerated() {
                guard case .string(let key) = name, let index = properties.firstIndex(where: { $0.key == key }) else {
                    throw .invalidSchema(path: pointer(pointer(path, "required"), i), reason: "required names a property that properties does not define")
                }
                required.insert(index)
            }
        }
        if let value = schema["additionalProperties"], case .bool = value {} else if schema["additionalProperties"] != nil {
            throw .invalidSchema(path: pointer(path, "additionalProperties"), reason: "additionalProperties must be true or false (only declared properties are generated)")
        }
        // Position p: properties p... may come next, up to the first required one.
        let offset = Int32(objectTable.count)
        let n = properties.count
        for p in 0...n {
            let lastCandidate = (p..<n).first { required.contains($0) } ?? (n - 1)
            var keyRoot: Int32 = -1
            if p < n {
                keyRoot = literals.newRoot()
                for j in p...lastCandidate {
                    var key: [UInt8] = []
                    JSONValue.serialize(string: properties[j].key, into: &key)
                    literals.insert(key + [UInt8(ascii: ":")], value: Int32(j), root: keyRoot)
                }
            }
            let closable = !required.contains { $0 >= p }
            objectTable += [keyRoot, closable ? 1 : 0, p < n ? properties[p].node : -1]
        }
        let depth = 1 + (properties.map { depths[Int($0.node)] }.max() ?? 0)
        return add(.init(kind: .object, a: offset, b: Int32(n)), firstBytes: [UInt8(ascii: "{")], depth: depth)
    }

    private mutating func literal(_ schema: JSONValue, keywords: Set<String>, path: String) throws(JSONSchemaError) -> Int32 {
        let key = keywords.contains("enum") ? "enum" : "const"
        if let other = keywords.subtracting([key, "type"]).sorted().first {
            throw .invalidSchema(path: pointer(path, other), reason: "\(other) cannot be combined with \(key) here")
        }
        var values: [JSONValue]
        if key == "enum" {
            guard case .array(let list) = schema["enum"]!, !list.isEmpty else {
                throw .invalidSchema(path: pointer(path, "enum"), reason: "enum must be a non-empty array")
            }
            values = list
        } else {
            values = [schema["const"]!]
        }
        if let type = schema["type"] {
            let allowed: [String]
            switch type {
            case .string(let name): allowed = [name]
            case .array(let names): allowed = names.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default: allowed = []
            }
            for (i, value) in values.enumerated() where !Self.matches(value, allowed) {
                let at = key == "enum" ? pointer(pointer(path, "enum"), i) : pointer(path, "const")
                throw .invalidSchema(path: at, reason: "the value is a \(value.typeName), not of type \(allowed.joined(separator: ", "))")
            }
        }
        return literalNode(values)
    }

    static func matches(_ value: JSONValue, _ types: [String]) -> Bool {
        if types.contains(value.typeName) { return true }
        if types.contains("integer"), let number = value.numberValue { return number.rounded() == number }
        return false
    }

    private mutating func literalNode(_ values: [JSONValue]) -> Int32 {
        let root = literals.newRoot()
        for (i, value) in values.enumerated() { literals.insert(value.serialized, value: Int32(i), root: root) }
        return add(.init(kind: .literal, a: root), firstBytes: Set(literals.firstBytes(root)), depth: 1)
    }

    /// Branches must start with different bytes, so the first byte picks the branch (the
    /// automaton stays deterministic).
    private mutating func anyOf(_ branches: [(node: Int32, path: String)], path: String) throws(JSONSchemaError) -> Int32 {
        var table = [Int32](repeating: -1, count: 256)
        var owner = [String](repeating: "", count: 256)
        for (node, branchPath) in branches {
            for b in firstBytes[Int(node)].sorted() {
                if table[Int(b)] >= 0 {
                    throw .invalidSchema(path: path, reason: "the alternatives at \(JSONSchemaError.display(owner[Int(b)])) and \(JSONSchemaError.display(branchPath)) can both start with '\(Unicode.Scalar(b))'; only alternatives that start differently (e.g. string, number, object, null) are supported")
                }
                table[Int(b)] = node
                owner[Int(b)] = branchPath
            }
        }
        let offset = Int32(anyOfTable.count)
        anyOfTable += table
        let first = branches.reduce(into: Set<UInt8>()) { $0.formUnion(firstBytes[Int($1.node)]) }
        return add(.init(kind: .anyOf, a: offset), firstBytes: first, depth: branches.map { depths[Int($0.node)] }.max()!)
    }

    private func countRange(_ schema: JSONValue, path: String, minKey: String, maxKey: String) throws(JSONSchemaError) -> (Int32, Int32) {
        let low = try schema[minKey].map { v throws(JSONSchemaError) in try Self.count(v, path: pointer(path, minKey)) } ?? 0
        let high = try schema[maxKey].map { v throws(JSONSchemaError) in try Self.count(v, path: pointer(path, maxKey)) } ?? Int32.max
        guard low <= high else { throw .invalidSchema(path: path, reason: "\(minKey) \(low) is above \(maxKey) \(high)") }
        return (low, high)
    }

    private static func count(_ value: JSONValue, path: String) throws(JSONSchemaError) -> Int32 {
        guard let number = value.numberValue, number >= 0, number.rounded() == number, number <= Double(Int32.max) else {
            throw .invalidSchema(path: path, reason: "must be a non-negative integer")
        }
        return Int32(number)
    }

    private func integerRange(_ schema: JSONValue, path: String) throws(JSONSchemaError) -> (Int64, Int64) {
        var low = -Self.integerLimit, high = Self.integerLimit
        func bound(_ key: String) throws(JSONSchemaError) -> Double? {
            guard let value = schema[key] else { return nil }
            guard let number = value.numberValue, number.isFinite else {
                throw .invalidSchema(path: pointer(path, key), reason: "must be a number")
            }
            return number
        }
        // An integer bound is taken exactly from its text (a Double would round above 2^53).
        func exact(_ key: String) -> Int64? {
            guard case .number(let text)? = schema[key], let value = Int64(text) else { return nil }
            return max(min(value, Self.integerLimit), -Self.integerLimit)
        }
        func clamp(_ x: Double) -> Int64 { Int64(max(min(x, Double(Self.integerLimit)), -Double(Self.integerLimit))) }
        if let v = try bound("minimum") { low = max(low, exact("minimum") ?? clamp(v.rounded(.up))) }
        if let v = try bound("exclusiveMinimum") { low = max(low, exact("exclusiveMinimum").map { $0 + 1 } ?? clamp(v.rounded(.down) + 1)) }
        if let v = try bound("maximum") { high = min(high, exact("maximum") ?? clamp(v.rounded(.down))) }
        if let v = try bound("exclusiveMaximum") { high = min(high, exact("exclusiveMaximum").map { $0 - 1 } ?? clamp(v.rounded(.up) - 1)) }
        guard low <= high else { throw .invalidSchema(path: path, reason: "no integer of at most 18 digits satisfies the bounds") }
        return (low, high)
    }
}
