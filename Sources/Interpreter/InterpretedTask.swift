/// What the interpreter makes of a command: an action from the launch file's
/// vocabulary and the short visual noun phrases CLIP is to find.
public struct InterpretedTask: Sendable, Equatable, Codable {
    public var action: String
    /// What to act on ("a red cube"), or empty when the action needs no object.
    public var target: String
    /// Where to put or bring it, for actions that have one.
    public var destination: String?
    /// Extra qualifiers the command gave ("gently", "the left one").
    public var attributes: [String]

    public init(action: String, target: String, destination: String? = nil, attributes: [String] = []) {
        self.action = action
        self.target = target
        self.destination = destination
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey { case action, target, destination, attributes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decode(String.self, forKey: .action)
        target = try c.decodeIfPresent(String.self, forKey: .target) ?? ""
        destination = try c.decodeIfPresent(String.self, forKey: .destination).flatMap { $0.isEmpty ? nil : $0 }
        attributes = try c.decodeIfPresent([String].self, forKey: .attributes) ?? []
    }
}
