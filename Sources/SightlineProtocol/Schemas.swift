/// Schema identifiers carried in every message's `schema` field. The suffix is
/// the major version: a change that could break a reader (removing or renaming
/// a field, changing a type or meaning) bumps it; adding an optional field
/// does not. See docs/protocol.md, "Versioning".
public enum SchemaID {
    public static let command = "sightline.command/1"
    public static let reply = "sightline.reply/1"
    public static let intent = "sightline.intent/1"
    public static let scene = "sightline.scene/1"
    public static let status = "sightline.status/1"
}

/// The topics on the publish socket; the first frame of every published message.
public enum Topic: String, Sendable, CaseIterable {
    case intent
    case scene
    case status
}
