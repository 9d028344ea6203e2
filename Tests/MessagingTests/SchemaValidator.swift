import Foundation
import SightlineProtocol

/// A small JSON Schema (2020-12) validator for exactly the keywords
/// docs/schemas uses; an unknown keyword is an error, so the subset cannot
/// silently grow past what is checked. Written independently of the Swift
/// message types: it sees only the schema file and the encoded JSON.
struct SchemaValidator {
    let root: JSONValue

    init(file: URL) throws {
        guard let root = JSONValue.parse(Array(try Data(contentsOf: file))) else { throw TestFailure("\(file.lastPathComponent) is not JSON") }
        self.root = root
    }

    /// Every violation, as "path: problem"; empty when valid.
    func errors(_ instance: JSONValue) -> [String] {
        var errors: [String] = []
        validate(instance, against: root, at: "$", into: &errors)
        return errors
    }

    private static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$defs"]

    private func validate(_ value: JSONValue, against schema: JSONValue, at path: String, into errors: inout [String]) {
        guard case .object(let keywords) = schema else { errors.append("\(path): schema is not an object"); return }
        for (keyword, argument) in keywords.sorted(by: { $0.key < $1.key }) where !Self.annotations.contains(keyword) {
            switch keyword {
            case "$ref":
                guard case .string(let reference) = argument, reference.hasPrefix("#/$defs/"),
                      case .object(let rootKeywords) = root, case .object(let defs)? = rootKeywords["$defs"],
                      let target = defs[String(reference.dropFirst("#/$defs/".count))]
                else { errors.append("\(path): unresolvable $ref"); continue }
                validate(value, against: target, at: path, into: &errors)
            case "type":
                let allowed: [String] = switch argument {
                case .string(let name): [name]
                case .array(let names): names.compactMap { if case .string(let n) = $0 { n } else { nil } }
                default: []
                }
                if !allowed.contains(where: { Self.has(value, type: $0) }) { errors.append("\(path): not of type \(allowed)") }
            case "const":
                if value != argument { errors.append("\(path): must be \(argument)") }
            case "enum":
                if case .array(let options) = argument, !options.contains(value) { errors.append("\(path): not one of the enum") }
            case "properties", "required", "additionalProperties", "propertyNames":
                validateObjectKeyword(keyword, argument, keywords: keywords, value: value, at: path, into: &errors)
            case "items":
                if case .array(let items) = value {
                    for (index, item) in items.enumerated() { validate(item, against: argument, at: "\(path)[\(index)]", into: &errors) }
                }
            case "minItems", "maxItems":
                if case .array(let items) = value, case .integer(let bound) = argument {
                    if keyword == "minItems" ? items.count < bound : items.count > bound { errors.append("\(path): \(keyword) \(bound)") }
                }
            case "minimum", "maximum":
                if let number = Self.number(value), let bound = Self.number(argument) {
                    if keyword == "minimum" ? number < bound : number > bound { errors.append("\(path): \(keyword) \(bound)") }
                }
            case "minLength", "maxLength":
                if case .string(let text) = value, case .integer(let bound) = argument {
                    let length = text.unicodeScalars.count
                    if keyword == "minLength" ? length < bound : length > bound { errors.append("\(path): \(keyword) \(bound)") }
                }
            case "pattern":
                if case .string(let text) = value, case .string(let pattern) = argument {
                    let matches = (try? NSRegularExpression(pattern: pattern))?
                        .firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                    if !matches { errors.append("\(path): does not match \(pattern)") }
                }
            case "oneOf":
                guard case .array(let options) = argument else { continue }
                let passing = options.filter { option in
                    var optionErrors: [String] = []
                    validate(value, against: option, at: path, into: &optionErrors)
                    return optionErrors.isEmpty
                }.count
                if passing != 1 { errors.append("\(path): matches \(passing) of oneOf, not exactly one") }
            case "not":
                var inner: [String] = []
                validate(value, against: argument, at: path, into: &inner)
                if inner.isEmpty { errors.append("\(path): must not match \(argument)") }
            case "if":
                var condition: [String] = []
                validate(value, against: argument, at: path, into: &condition)
                if let branch = keywords[condition.isEmpty ? "then" : "else"] { validate(value, against: branch, at: path, into: &errors) }
            case "then", "else":
                continue  // applied by "if"
            default:
                errors.append("\(path): validator does not know keyword \(keyword)")
            }
        }
    }

    private func validateObjectKeyword(
        _ keyword: String, _ argument: JSONValue, keywords: [String: JSONValue], value: JSONValue,
        at path: String, into errors: inout [String]
    ) {
        guard case .object(let fields) = value else { return }
        switch keyword {
        case "properties":
            guard case .object(let properties) = argument else { return }
            for (name, subschema) in properties { if let field = fields[name] { validate(field, against: subschema, at: "\(path).\(name)", into: &errors) } }
        case "required":
            guard case .array(let names) = argument else { return }
            for case .string(let name) in names where fields[name] == nil { errors.append("\(path): missing required \(name)") }
        case "additionalProperties":
            var declared: Set<String> = []
            if case .object(let properties)? = keywords["properties"] { declared = Set(properties.keys) }
            for (name, field) in fields where !declared.contains(name) {
                if argument == .bool(false) { errors.append("\(path): unexpected property \(name)") }
                else if argument != .bool(true) { validate(field, against: argument, at: "\(path).\(name)", into: &errors) }
            }
        case "propertyNames":
            for name in fields.keys { validate(.string(name), against: argument, at: "\(path) key \(name)", into: &errors) }
        default: break
        }
    }

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .number(let number): number
        default: nil
        }
    }
}
