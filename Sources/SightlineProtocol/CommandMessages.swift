import Foundation

/// Why a command was rejected; the `reason` field of a rejected reply.
public enum RejectionReason: String, Sendable, Codable, CaseIterable {
    /// The body is not a JSON document (or not UTF-8).
    case invalidJSON = "invalid_json"
    /// JSON, but not a command or cancel request (wrong fields, types, frame count).
    case invalidRequest = "invalid_request"
    /// The message is larger than `CommandLimits.maxMessageBytes`.
    case tooLarge = "too_large"
    /// `text` is longer than `CommandLimits.maxTextLength`.
    case textTooLong = "text_too_long"
    /// The command queue is full, or the node is shedding load.
    case busy
    /// This client sent more than its rate allows.
    case rateLimited = "rate_limited"
    /// An accepted command already used this id.
    case duplicateID = "duplicate_id"
    /// A cancel named an id the node does not know (never accepted, or already finished).
    case unknownID = "unknown_id"
}

public enum ReplyStatus: String, Sendable, Codable {
    case accepted
    case rejected
}

/// The immediate answer to every request: `{"schema", "id", "status", "reason"?, "detail"?}`.
/// `id` is the command's id (generated when the request had none), the cancelled
/// id for a cancel, or null when the request was too broken to read one.
public struct CommandReply: Sendable, Equatable, Codable {
    public var schema: String = SchemaID.reply
    public var id: String?
    public var status: ReplyStatus
    public var reason: RejectionReason?
    /// A human-readable sentence saying what exactly was wrong; for logs, not for parsing.
    public var detail: String?

    public static func accepted(_ id: String) -> CommandReply {
        CommandReply(id: id, status: .accepted)
    }

    public static func rejected(_ id: String?, _ reason: RejectionReason, _ detail: String) -> CommandReply {
        CommandReply(id: id, status: .rejected, reason: reason, detail: detail)
    }

    public init(id: String?, status: ReplyStatus, reason: RejectionReason? = nil, detail: String? = nil) {
        self.id = id
        self.status = status
        self.reason = reason
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey { case schema, id, status, reason, detail }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schema, forKey: .schema)
        try container.encode(id, forKey: .id)  // always present, null when unknown
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(detail, forKey: .detail)
    }
}

/// A request as written by a client: `{"id"?, "text", "deadline_ms"?}` or `{"cancel": id}`,
/// each with an optional `"schema": "sightline.command/1"`.
public enum CommandRequest: Sendable, Equatable {
    case command(id: String?, text: String, deadlineMs: Int?)
    case cancel(id: String)
}

extension CommandRequest: Encodable {
    enum CodingKeys: String, CodingKey {
        case schema, id, text, cancel
        case deadlineMs = "deadline_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SchemaID.command, forKey: .schema)
        switch self {
        case .command(let id, let text, let deadlineMs):
            try container.encodeIfPresent(id, forKey: .id)
            try container.encode(text, forKey: .text)
            try container.encodeIfPresent(deadlineMs, forKey: .deadlineMs)
        case .cancel(let id):
            try container.encode(id, forKey: .cancel)
        }
    }
}

/// The limits a request is checked against. Defaults are documented in docs/protocol.md.
public struct CommandLimits: Sendable, Equatable {
    /// Largest request body, in bytes; larger ones are answered `too_large`.
    public var maxMessageBytes = 16 * 1024
    /// Longest `text`, in Unicode scalars; longer ones are answered `text_too_long`.
    public var maxTextLength = 1000
    /// Longest client-chosen `id`, in bytes.
    public var maxIDLength = 128
    /// Largest `deadline_ms`.
    public var maxDeadlineMs = 600_000

    public init() {}
}

/// A request failed validation: the reason for the reply, a sentence for the
/// user, and the request's id when it could be read.
public struct RequestRejection: Error, Sendable, Equatable {
    public var reason: RejectionReason
    public var detail: String
    public var id: String?

    public init(_ reason: RejectionReason, _ detail: String, id: String? = nil) {
        self.reason = reason
        self.detail = detail
        self.id = id
    }
}

extension CommandRequest {
    /// Reads and validates one request body. Every failure is a `RequestRejection`
    /// naming what is wrong; nothing here traps on any input.
    public static func parse(_ body: some Collection<UInt8>, limits: CommandLimits) -> Result<CommandRequest, RequestRejection> {
        if body.count > limits.maxMessageBytes {
            return .failure(.init(.tooLarge, "request is \(body.count) bytes, limit \(limits.maxMessageBytes)"))
        }
        // Requests nest two levels deep; deeper input is refused before it reaches
        // the decoder, whose cost grows with the square of the depth.
        if nestingDepth(body) > maxNestingDepth {
            return .failure(.init(.invalidRequest, "JSON nested deeper than \(maxNestingDepth) levels"))
        }
        // The protocol is UTF-8 JSON (RFC 8259 §8.1: no byte order mark). Foundation's decoder
        // would also guess UTF-16 and UTF-32 and skip a BOM, so those are refused here first.
        if let problem = RequestEncoding.problem(body) {
            return .failure(.init(.invalidJSON, "request body is not UTF-8 JSON: \(problem)"))
        }
        guard let document = JSONValue.parse(body) else {
            return .failure(.init(.invalidJSON, "request body is not a UTF-8 JSON document"))
        }
        // The decoder keeps one of two equal keys silently; which one a client meant is unknowable.
        if let key = RequestEncoding.duplicateKey(body) {
            return .failure(.init(.invalidJSON, "request body has the key \"\(key.prefix(64))\" twice in one object"))
        }
        guard case .object(let fields) = document else {
            return .failure(.init(.invalidRequest, "request must be a JSON object"))
        }
        if let schema = fields["schema"], schema != .string(SchemaID.command) {
            return .failure(.init(.invalidRequest, "schema must be \"\(SchemaID.command)\""))
        }
        if let cancel = fields["cancel"] {
            return parseCancel(cancel, fields: fields, limits: limits)
        }
        return parseCommand(fields, limits: limits)
    }

    private static func parseCancel(
        _ cancel: JSONValue, fields: [String: JSONValue], limits: CommandLimits
    ) -> Result<CommandRequest, RequestRejection> {
        if let extra = fields.keys.filter({ $0 != "cancel" && $0 != "schema" }).sorted().first {
            return .failure(.init(.invalidRequest, "a cancel request has only \"cancel\"; unexpected field \"\(extra)\""))
        }
        guard case .string(let id) = cancel else {
            return .failure(.init(.invalidRequest, "\"cancel\" must be a command id (string)"))
        }
        if let problem = idProblem(id, limits: limits) {
            return .failure(.init(.invalidRequest, "\"cancel\" \(problem)"))
        }
        return .success(.cancel(id: id))
    }

    private static func parseCommand(
        _ fields: [String: JSONValue], limits: CommandLimits
    ) -> Result<CommandRequest, RequestRejection> {
        var id: String?
        switch fields["id"] {
        case nil: break
        case .string(let value)?:
            if let problem = idProblem(value, limits: limits) {
                return .failure(.init(.invalidRequest, "\"id\" \(problem)"))
            }
            id = value
        default:
            return .failure(.init(.invalidRequest, "\"id\" must be a string"))
        }
        let known: Set<String> = ["schema", "id", "text", "deadline_ms"]
        if let extra = fields.keys.filter({ !known.contains($0) }).sorted().first {
            return .failure(.init(.invalidRequest, "unexpected field \"\(extra)\"", id: id))
        }
        guard case .string(let text)? = fields["text"] else {
            return .failure(.init(.invalidRequest, "\"text\" (string) is required", id: id))
        }
        if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            return .failure(.init(.invalidRequest, "\"text\" is empty", id: id))
        }
        let length = text.unicodeScalars.count
        if length > limits.maxTextLength {
            return .failure(.init(.textTooLong, "\"text\" is \(length) characters, limit \(limits.maxTextLength)", id: id))
        }
        var deadlineMs: Int?
        switch fields["deadline_ms"] {
        case nil: break
        case .integer(let value)? where value >= 1 && value <= Int64(limits.maxDeadlineMs):
            deadlineMs = Int(value)
        default:
            return .failure(.init(.invalidRequest, "\"deadline_ms\" must be an integer from 1 to \(limits.maxDeadlineMs)", id: id))
        }
        return .success(.command(id: id, text: text, deadlineMs: deadlineMs))
    }

    static let maxNestingDepth = 16

    /// The deepest nesting of arrays and objects, outside strings; a byte scan,
    /// so it is linear for any input, JSON or not.
    static func nestingDepth(_ bytes: some Collection<UInt8>) -> Int {
        var depth = 0, deepest = 0
        var inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return deepest
    }

    /// Ids are 1...maxIDLength printable ASCII characters without spaces, so they
    /// can be logged and compared byte for byte.
    private static func idProblem(_ id: String, limits: CommandLimits) -> String? {
        let bytes = Array(id.utf8)
        if bytes.isEmpty || bytes.count > limits.maxIDLength {
            return "must be 1 to \(limits.maxIDLength) characters"
        }
        if !bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return "must be printable ASCII without spaces"
        }
        return nil
    }
}

/// Byte-level checks of a request body that the JSON decoder does not make.
enum RequestEncoding {
    /// Why `body` is not plain UTF-8 text, or nil when it is.
    static func problem(_ body: some Collection<UInt8>) -> String? {
        let bytes = Array(body)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return "it starts with a byte order mark" }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) { return "it starts with a UTF-16 or UTF-32 byte order mark" }
        // ASCII in UTF-16 or UTF-32 is full of NUL bytes, which JSON never holds unescaped.
        if bytes.contains(0) { return "it contains NUL bytes (UTF-16 or UTF-32?)" }
        if String(validating: bytes, as: UTF8.self) == nil { return "it is not valid UTF-8" }
        return nil
    }

    /// The first key that appears twice in one object, at any depth, of a body that is valid JSON
    /// (keys are compared after unescaping, so "a" and "\u0061" are the same key).
    static func duplicateKey(_ body: some Collection<UInt8>) -> String? {
        // One entry per open container: the keys seen so far for an object, nil for an array.
        var open: [Set<String>?] = []
        var expectingKey = false
        var inString = false, stringIsKey = false, escaped = false, hasEscape = false
        var raw: [UInt8] = []  // the key being read, quotes included
        for byte in body {
            if inString {
                if stringIsKey { raw.append(byte) }
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                    hasEscape = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    guard stringIsKey, !open.isEmpty, open[open.count - 1] != nil else { continue }
                    let key = hasEscape ? (try? JSONDecoder().decode(String.self, from: Data(raw))) ?? String(decoding: raw, as: UTF8.self)
                        : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    if !open[open.count - 1]!.insert(key).inserted { return key }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringIsKey = expectingKey && !open.isEmpty && open[open.count - 1] != nil
                expectingKey = false
                hasEscape = false
                raw = [byte]
            case UInt8(ascii: "{"):
                open.append(Set<String>())
                expectingKey = true
            case UInt8(ascii: "["):
                open.append(nil)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !open.isEmpty { open.removeLast() }
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = !open.isEmpty && open[open.count - 1] != nil
            case UInt8(ascii: ":"):
                expectingKey = false
            default:
                break
            }
        }
        return nil
    }
}
