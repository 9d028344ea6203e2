import Foundation

/// A JSON value decoded strictly by Foundation's JSONDecoder (true is never a number, 1 never
/// a boolean), for a validator that shares no code with the schema compiler or automaton.
indirect enum TestJSON: Decodable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([TestJSON])
    case object([String: TestJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? container.decode(Double.self) {
            self = d.rounded() == d && abs(d) < 9e18 ? .integer(Int64(d)) : .number(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([TestJSON].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: TestJSON].self))
        }
    }

    static func decode(_ text: String) throws -> TestJSON {
        try JSONDecoder().decode(TestJSON.self, from: Data(text.utf8))
    }

    var numeric: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    /// JSON Schema equality: numbers by value.
    func equals(_ other: TestJSON) -> Bool {
        if let a = numeric, let b = other.numeric { return a == b }
        switch (self, other) {
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.equals($0) } ?? false }
        default: return self == other
        }
    }
}

/// Validates an instance against a schema of the supported subset by the JSON Schema
/// definitions of each keyword. Returns the first violation, nil when valid.
func violation(of instance: TestJSON, against schema: TestJSON, at path: String = "") -> String? {
    guard case .object(let s) = schema else { return "\(path): schema is not an object" }
    if let values = s["enum"], case .array(let list) = values, !list.contains(where: { $0.equals(instance) }) {
        return "\(path): not one of the enum values"
    }
    if let value = s["const"], !value.equals(instance) { return "\(path): not the const value" }
    if let branches = s["anyOf"], case .array(let list) = branches,
        !list.contains(where: { violation(of: instance, against: $0, at: path) == nil }) {
        return "\(path): matches no anyOf branch"
    }
    if let type = s["type"] {
        let names: [String]
        switch type {
        case .string(let name): names = [name]
        case .array(let list): names = list.compactMap { if case .string(let n) = $0 { n } else { nil } }
        default: return "\(path): bad type keyword"
        }
        let matches = names.contains { name in
            switch (name, instance) {
            case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
                ("string", .string), ("array", .array), ("object", .object): true
            default: false
            }
        }
        if !matches { return "\(path): not of type \(names)" }
    }
    func int(_ key: String) -> Double? { s[key]?.numeric }
    switch instance {
    case .string(let text):
        let length = Double(text.unicodeScalars.count)
        if let m = int("maxLength"), length > m { return "\(path): longer than \(m)" }
        if let m = int("minLength"), length < m { return "\(path): shorter than \(m)" }
    case .integer, .number:
        // -1, 0, 1 as the instance is below, at or above the bound (integers exactly, beyond 2^53 too).
        func order(_ key: String) -> Int? {
            guard let bound = s[key] else { return nil }
            if case .integer(let a) = instance, case .integer(let b) = bound { return a < b ? -1 : a == b ? 0 : 1 }
            guard let a = instance.numeric, let b = bound.numeric else { return nil }
            return a < b ? -1 : a == b ? 0 : 1
        }
        if let o = order("minimum"), o < 0 { return "\(path): below minimum" }
        if let o = order("maximum"), o > 0 { return "\(path): above maximum" }
        if let o = order("exclusiveMinimum"), o <= 0 { return "\(path): not above exclusiveMinimum" }
        if let o = order("exclusiveMaximum"), o >= 0 { return "\(path): not below exclusiveMaximum" }
    case .array(let items):
        if let m = int("maxItems"), Double(items.count) > m { return "\(path): more than \(m) items" }
        if let m = int("minItems"), Double(items.count) < m { return "\(path): fewer than \(m) items" }
        if let itemSchema = s["items"] {
            for (i, item) in items.enumerated() {
                if let problem = violation(of: item, against: itemSchema, at: "\(path)/\(i)") { return problem }
            }
        }
    case .object(let members):
        var properties: [String: TestJSON] = [:]
        if case .object(let p)? = s["properties"] { properties = p }
        if case .array(let required)? = s["required"] {
            for case .string(let key) in required where members[key] == nil { return "\(path): missing \(key)" }
        }
        for (key, value) in members {
            if let propertySchema = properties[key] {
                if let problem = violation(of: value, against: propertySchema, at: "\(path)/\(key)") { return problem }
            } else if s["additionalProperties"] == .bool(false) {
                return "\(path): property \(key) is not allowed"
            }
        }
    default: break
    }
    return nil
}

/// Whether `text` is one JSON document Foundation's JSONSerialization parses, valid against `schema`.
func validationProblem(_ text: String, schema: String) -> String? {
    guard (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil else {
        return "JSONSerialization cannot parse \(text.debugDescription)"
    }
    let instance: TestJSON, schemaValue: TestJSON
    do {
        instance = try TestJSON.decode(text)
        schemaValue = try TestJSON.decode(schema)
    } catch {
        return "JSONDecoder cannot decode \(text.debugDescription): \(error)"
    }
    return violation(of: instance, against: schemaValue).map { "\($0) in \(text.debugDescription)" }
}
