import CV4L2Shim

/// A camera control as the driver describes it (VIDIOC_QUERYCTRL).
public struct CameraControl: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case integer, boolean, menu, integerMenu = "integer_menu", button, other

        init(v4l2Type: UInt32) {
            switch v4l2Type {
            case V4L2_CTRL_TYPE_INTEGER.rawValue: self = .integer
            case V4L2_CTRL_TYPE_BOOLEAN.rawValue: self = .boolean
            case V4L2_CTRL_TYPE_MENU.rawValue: self = .menu
            case V4L2_CTRL_TYPE_INTEGER_MENU.rawValue: self = .integerMenu
            case V4L2_CTRL_TYPE_BUTTON.rawValue: self = .button
            default: self = .other
            }
        }
    }

    public struct MenuItem: Sendable, Equatable, Codable {
        public var value: Int
        public var name: String
    }

    public var id: UInt32
    /// The driver's label, "White Balance Temperature".
    public var label: String
    public var kind: Kind
    public var minimum: Int
    public var maximum: Int
    public var step: Int
    public var defaultValue: Int
    public var readOnly: Bool
    public var inactive: Bool
    public var menu: [MenuItem] = []

    /// The configuration name, as v4l2-ctl spells it: "white_balance_temperature".
    public var name: String { Self.normalize(label) }

    /// Lower case, every run of other characters one underscore, none at the ends:
    /// "Exposure Time, Absolute" becomes "exposure_time_absolute".
    public static func normalize(_ label: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for scalar in label.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if pendingUnderscore, !out.isEmpty { out.append("_") }
                pendingUnderscore = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingUnderscore = true
            }
        }
        return out
    }

    /// Turns a configured value into the integer the driver takes, or says why it cannot.
    /// Menu controls accept an item's name ("50 Hz", case and punctuation ignored) or its number;
    /// booleans accept true/false/on/off/1/0.
    public func resolve(_ value: ControlValue) -> Result<Int, Rejection> {
        let number: Int
        switch (kind, value) {
        case (.boolean, .bool(let b)): number = b ? 1 : 0
        case (.boolean, .text(let t)):
            switch t.lowercased() {
            case "true", "on", "yes", "1": number = 1
            case "false", "off", "no", "0": number = 0
            default: return .failure(Rejection("'\(t)' is not a boolean (use true or false)"))
            }
        case (.menu, .text(let t)), (.integerMenu, .text(let t)):
            // Compare letters and digits only, so "60hz", "60 Hz" and "60_Hz" all match.
            let key = { (text: String) in Self.normalize(text).filter { $0 != "_" } }
            if let item = menu.first(where: { key($0.name) == key(t) }) {
                number = item.value
            } else if let n = Int(t) {
                number = n
            } else {
                return .failure("'\(t)' is not one of: \(menu.map(\.name).joined(separator: ", "))")
            }
        case (_, .integer(let n)): number = n
        case (_, .bool(let b)): number = b ? 1 : 0
        case (_, .text(let t)):
            guard let n = Int(t) else { return .failure(Rejection("'\(t)' is not an integer")) }
            number = n
        }
        if kind == .menu || kind == .integerMenu, !menu.isEmpty, !menu.contains(where: { $0.value == number }) {
            let choices = menu.map { "\($0.value) (\($0.name))" }.joined(separator: ", ")
            return .failure(Rejection("\(number) is not a menu value; choose one of: \(choices)"))
        }
        guard (minimum...max(minimum, maximum)).contains(number) else {
            return .failure(Rejection("\(number) is outside \(minimum)...\(maximum)"))
        }
        return .success(number)
    }
}

/// A control value from configuration.
public enum ControlValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case integer(Int)
    case bool(Bool)
    case text(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Int.self) { self = .integer(n) }
        else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .integer(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        case .text(let t): try c.encode(t)
        }
    }

    /// Parses `name=value` style command-line values: integers, true/false, or menu names.
    public init(argument: String) {
        if let n = Int(argument) { self = .integer(n) }
        else if argument == "true" { self = .bool(true) }
        else if argument == "false" { self = .bool(false) }
        else { self = .text(argument) }
    }

    public var description: String {
        switch self {
        case .integer(let n): String(n)
        case .bool(let b): String(b)
        case .text(let t): t
        }
    }
}

/// The order controls are applied in: automatic modes first, because a
/// manual value (exposure_time_absolute) is refused while its automatic mode
/// (auto_exposure) is on.
func controlApplicationOrder(_ names: [String]) -> [String] {
    let isAutoMode = { (name: String) in name.hasPrefix("auto") || name.contains("_auto") || name.hasSuffix("automatic") }
    return names.filter(isAutoMode).sorted() + names.filter { !isAutoMode($0) }.sorted()
}
