import Foundation
import SightlineProtocol
import Testing

/// The protocol is UTF-8 JSON with one value per key (issue 13): Foundation's decoder alone would
/// read UTF-16, UTF-32 and a byte order mark, and keep one of two equal keys silently.
@Suite("Request bodies are UTF-8 JSON without duplicate keys")
struct RequestEncodingTests {
    static let valid = #"{"id":"c-1","text":"pick up the red cube"}"#

    func rejection(_ body: [UInt8]) -> (RejectionReason, String)? {
        switch CommandRequest.parse(body, limits: CommandLimits()) {
        case .success: nil
        case .failure(let rejection): (rejection.reason, rejection.detail)
        }
    }

    @Test func theValidRequestIsAccepted() throws {
        #expect(rejection(Array(Self.valid.utf8)) == nil)
        // Equal keys in different objects, and a key equal to a value, are fine.
        #expect(rejection(Array(#"{"id":"text","text":"a \"text\": b"}"#.utf8)) == nil)
    }

    @Test(arguments: [
        ("a byte order mark", [0xEF, 0xBB, 0xBF] + Array(valid.utf8), "byte order mark"),
        ("UTF-16LE", Array(valid.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }), "NUL"),
        ("UTF-16BE", Array(valid.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }), "NUL"),
        ("UTF-16LE with its BOM", [0xFF, 0xFE] + Array(valid.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }), "byte order mark"),
        ("UTF-32LE", Array(valid.unicodeScalars.flatMap { s in (0..<4).map { UInt8((s.value >> (8 * $0)) & 0xFF) } }), "NUL"),
        ("UTF-32BE", Array(valid.unicodeScalars.flatMap { s in (0..<4).reversed().map { UInt8((s.value >> (8 * $0)) & 0xFF) } }), "NUL"),
        ("Latin-1 é", Array(#"{"text":"caf"#.utf8) + [0xE9] + Array(#""}"#.utf8), "not valid UTF-8"),
        ("an overlong slash", Array(#"{"text":"a"#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), "not valid UTF-8"),
        ("a lone surrogate encoded", Array(#"{"text":"a"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), "not valid UTF-8"),
    ] as [(String, [UInt8], String)])
    func otherEncodingsAreInvalidJSON(_ name: String, _ body: [UInt8], _ mention: String) throws {
        let (reason, detail) = try #require(rejection(body), "\(name) was accepted")
        #expect(reason == .invalidJSON, "\(name)")
        #expect(detail.contains(mention), "\(name): \(detail)")
    }

    @Test(arguments: [
        (#"{"text":"pick up the cup","text":"stop"}"#, "text"),
        (#"{"id":"a","text":"x","id":"b"}"#, "id"),
        (#"{"text":"x","te\u0078t":"y"}"#, "text"),
        (#"{"cancel":"a","cancel":"b"}"#, "cancel"),
        (#"{"text":"x","deadline_ms":{"a":1,"b":[{"c":1,"c":2}]}}"#, "c"),
        (#"[{"k":1},{"k":1,"k":2}]"#, "k"),
    ])
    func duplicateKeysAtAnyDepthAreRefused(_ body: String, _ key: String) throws {
        let (reason, detail) = try #require(rejection(Array(body.utf8)), "\(body) was accepted")
        #expect(reason == .invalidJSON)
        #expect(detail.contains("\"\(key)\" twice"), "\(detail)")
    }
}
