import Foundation
import Messaging
import SightlineProtocol
import TestSupport
import Testing

/// Sample messages of every type, with optional fields both present and absent.
enum SampleMessages {
    static let frame = FrameStamp(seq: 4812, capturedRealtimeNs: 1_795_000_000_123_456_789, capturedMonotonicNs: 987_654_321_000)
    static let cup = GroundedPhrase(phrase: "the red cup", box: [112, 80.5, 190, 171], center: [151, 125.75], score: 0.83, ray: [0.12, -0.05, 0.99])

    static let intents: [IntentMessage] = [
        IntentMessage(
            id: "int-1", commandID: "cmd-1", revision: 0, text: "put the red cup on the tray", action: "place",
            targetPhrase: "the red cup", destinationPhrase: "the tray", target: cup, destination: GroundedPhrase(phrase: "the tray", box: [300, 200, 420, 260], center: [360, 230], score: 0.61),
            status: .grounded, frame: frame, latencyMs: IntentLatency(interpret: 412.5, ground: 88, total: 520.25),
            validUntilRealtimeNs: 1_795_000_002_123_456_789, models: ["clip": "clip-vit-b32", "interpreter": "qwen2.5-0.5b-q4_k_m"]),
        IntentMessage(
            id: "int-2", commandID: "cmd-2", revision: 1, text: "pick up the unicorn", action: "pick",
            targetPhrase: "the unicorn", target: nil,
            status: .notFound, frame: frame, latencyMs: IntentLatency(interpret: 300, ground: 90, total: 395),
            validUntilRealtimeNs: 1_795_000_002_000_000_000, models: [:]),
        IntentMessage(
            id: "cmd-3/0", commandID: "cmd-3", revision: 0, text: "fetch the spoon", action: "unknown", target: nil,
            status: .timeout, detail: "the deadline passed while interpreting", frame: frame,
            latencyMs: IntentLatency(interpret: 1500, ground: 0, total: 1500),
            validUntilRealtimeNs: 1_795_000_002_000_000_000, models: [:]),
    ]

    static let scene = SceneMessage(frame: frame, scores: ["cup": 0.7, "tray": 0.2, "person": 0.1], latencyMs: 61.5)

    static let status = StatusMessage(
        realtimeNs: 1_795_000_000_500_000_000, uptimeS: 12.5,
        camera: .init(state: .stalled, detail: "no frame for 2.0 s", fps: 0),
        frames: .init(received: 371, processed: 350, dropped: 21), queueDepths: ["commands": 1, "compute": 2],
        latencyMs: ["scene": .init(count: 350, p50: 58.1, p90: 70.2, p99: 95.3, max: 120)],
        deadlineMisses: ["scene": 3], publisherDrops: 7,
        commands: .init(accepted: 12, rejected: ["busy": 2, "rate_limited": 1]), shedding: 1, sheddingChanges: 4,
        models: ["clip": "clip-vit-b32"], blasCore: "Cooperlake", cpuFeatures: ["avx2", "fma", "avx512_bf16"])

    static let replies: [CommandReply] = [
        .accepted("cmd-1"),
        .rejected("cmd-2", .duplicateID, "a command with id \"cmd-2\" was already accepted"),
        .rejected(nil, .invalidJSON, "request body is not a UTF-8 JSON document"),
    ]

    static let requests: [CommandRequest] = [
        .command(id: "c-1", text: "point at the door", deadlineMs: 1500),
        .command(id: nil, text: "wave", deadlineMs: nil),
        .cancel(id: "c-1"),
    ]

    /// (schema file, encoded message) for every sample.
    static func encoded() throws -> [(String, [UInt8])] {
        try intents.map { ("intent", try ProtocolJSON.encode($0)) }
            + [("scene", try ProtocolJSON.encode(scene)), ("status", try ProtocolJSON.encode(status))]
            + replies.map { ("reply", try ProtocolJSON.encode($0)) }
            + requests.map { ("command", try ProtocolJSON.encode($0)) }
    }
}

let pythonHasJSONSchema: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import jsonschema"]
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()

@Suite("Messages against docs/schemas")
struct SchemaTests {
    func validator(_ name: String) throws -> SchemaValidator {
        try SchemaValidator(file: RepositoryPaths.root.appendingPathComponent("docs/schemas/\(name).schema.json"))
    }

    @Test("Every message type encodes to JSON its schema file accepts, with its schema id")
    func encodedMessagesValidate() throws {
        for (name, bytes) in try SampleMessages.encoded() {
            let instance = try #require(JSONValue.parse(bytes))
            #expect(try validator(name).errors(instance) == [], "\(name): \(String(decoding: bytes, as: UTF8.self))")
            if case .object(let fields) = instance {
                #expect(fields["schema"] == .string("sightline.\(name)/1"))
            }
        }
    }

    @Test("The validator is not a rubber stamp: broken messages fail their schema")
    func brokenMessagesFail() throws {
        let intent = try validator("intent")
        func broken(_ edit: (inout [String: JSONValue]) -> Void) throws -> [String] {
            guard case .object(var fields)? = JSONValue.parse(try ProtocolJSON.encode(SampleMessages.intents[0])) else { return ["not an object"] }
            edit(&fields)
            return intent.errors(.object(fields))
        }
        #expect(try !broken { $0["frame"] = nil }.isEmpty)
        #expect(try !broken { $0["status"] = .string("maybe") }.isEmpty)
        #expect(try !broken { $0["revision"] = .number(0.5) }.isEmpty)
        #expect(try !broken { $0["extra"] = .bool(true) }.isEmpty)
        // Every intent says what it is about: the phrases are always there (null when unknown).
        #expect(try !broken { $0["target_phrase"] = nil }.isEmpty)
        #expect(try !broken { $0["destination_phrase"] = .integer(3) }.isEmpty)
        #expect(try broken { $0["destination_phrase"] = .null }.isEmpty)
        #expect(try !broken { $0["schema"] = .string("sightline.intent/2") }.isEmpty)
        #expect(try !broken {
            if case .object(var target)? = $0["target"] { target["box"] = .array([.integer(1), .integer(2)]); $0["target"] = .object(target) }
        }.isEmpty)
        let reply = try validator("reply")
        #expect(!reply.errors(.object(["schema": .string("sightline.reply/1"), "id": .null, "status": .string("rejected")])).isEmpty,
                "a rejection without a reason")
    }

    @Test("Requests the server accepts are exactly those the command schema accepts")
    func requestParsingAgreesWithSchema() throws {
        let command = try validator("command")
        let samples = [
            #"{"text":"pick"}"#, #"{"text":"pick","id":"a-1","deadline_ms":10}"#, #"{"cancel":"a-1"}"#,
            #"{"schema":"sightline.command/1","text":"pick"}"#, #"{"text":""}"#, #"{"text":" "}"#, #"{"text":5}"#,
            #"{"text":"pick","deadline_ms":0}"#, #"{"text":"pick","deadline_ms":2.5}"#, #"{"text":"pick","deadline_ms":600001}"#,
            #"{"text":"pick","id":""}"#, #"{"text":"pick","id":"a b"}"#, #"{"text":"pick","extra":1}"#,
            #"{"cancel":"a","text":"pick"}"#, #"{"cancel":""}"#, #"{}"#, #"[]"#, #""text""#, #"{"id":"x"}"#,
            #"{"text":"pick","schema":"sightline.command/9"}"#, #"{"text":"pick","deadline_ms":null}"#,
        ]
        for sample in samples {
            let instance = try #require(JSONValue.parse(Array(sample.utf8)))
            let schemaValid = command.errors(instance).isEmpty
            let parsed = CommandRequest.parse(Array(sample.utf8), limits: CommandLimits())
            let serverAccepts = if case .success = parsed { true } else { false }
            #expect(schemaValid == serverAccepts, "\(sample): schema \(schemaValid), server \(parsed)")
        }
    }

    @Test("Python jsonschema (an independent validator) agrees", .enabled(if: pythonHasJSONSchema, "python3 jsonschema not installed"))
    func pythonJSONSchemaAgrees() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines: [String] = []
        for (name, bytes) in try SampleMessages.encoded() {
            lines.append(#"{"schema_file":"\#(name)","instance":\#(String(decoding: bytes, as: UTF8.self))}"#)
        }
        let cases = directory.appendingPathComponent("cases.jsonl")
        try lines.joined(separator: "\n").write(to: cases, atomically: true, encoding: .utf8)
        let script = """
            import json, sys, jsonschema
            failures = 0
            for line in open(sys.argv[2]):
                case = json.loads(line)
                schema = json.load(open(f"{sys.argv[1]}/{case['schema_file']}.schema.json"))
                for error in jsonschema.Draft202012Validator(schema).iter_errors(case["instance"]):
                    failures += 1
                    print(case["schema_file"], error.message)
            sys.exit(1 if failures else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, RepositoryPaths.root.appendingPathComponent("docs/schemas").path, cases.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
    }

    @Test("A status without the optional blas_core and cpu_features (an older node's) is valid and decodes")
    func statusWithoutOptionalFields() throws {
        var older = SampleMessages.status
        older.blasCore = nil
        older.cpuFeatures = nil
        let bytes = try ProtocolJSON.encode(older)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("blas_core"))
        #expect(try validator("status").errors(#require(JSONValue.parse(bytes))) == [])
        #expect(try ProtocolJSON.decode(StatusMessage.self, from: bytes) == older)
    }

    @Test("An intent always carries its phrases (null when unknown), and one from an older node without them still decodes")
    func intentPhrases() throws {
        guard case .object(let fields)? = JSONValue.parse(try ProtocolJSON.encode(SampleMessages.intents[2])) else {
            Issue.record("not an object")
            return
        }
        #expect(fields["target_phrase"] == .null && fields["destination_phrase"] == .null)
        var old = fields
        old["target_phrase"] = nil
        old["destination_phrase"] = nil
        old["detail"] = nil
        let decoded = try ProtocolJSON.decode(IntentMessage.self, from: ProtocolJSON.encode(JSONValue.object(old)))
        #expect(decoded.targetPhrase == nil && decoded.detail == nil && decoded.commandID == "cmd-3")
    }

    @Test("Messages decode back to what was encoded")
    func roundTrip() throws {
        for intent in SampleMessages.intents {
            #expect(try ProtocolJSON.decode(IntentMessage.self, from: ProtocolJSON.encode(intent)) == intent)
        }
        #expect(try ProtocolJSON.decode(SceneMessage.self, from: ProtocolJSON.encode(SampleMessages.scene)) == SampleMessages.scene)
        #expect(try ProtocolJSON.decode(StatusMessage.self, from: ProtocolJSON.encode(SampleMessages.status)) == SampleMessages.status)
        for reply in SampleMessages.replies {
            #expect(try ProtocolJSON.decode(CommandReply.self, from: ProtocolJSON.encode(reply)) == reply)
        }
        for request in SampleMessages.requests {
            #expect(try CommandRequest.parse(ProtocolJSON.encode(request), limits: CommandLimits()).get() == request)
        }
    }
}
