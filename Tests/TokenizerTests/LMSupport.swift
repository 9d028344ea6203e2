import Glibc
@testable import Tokenizers

enum LMFixtures {
    static let repoRoot = TestSupport.repoRoot
    static let qwenDirectory = repoRoot + "/Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m"
    static let tinyDirectory = repoRoot + "/Tests/Fixtures/lm/tiny"
    static let spmDirectory = repoRoot + "/Tests/Fixtures/lm/spm-tiny"

    /// The real Qwen2.5 GGUF, fetched by scripts/models/fetch_qwen_gguf.py (never committed).
    static let qwenGGUFPath: String = {
        let home = String(cString: getenv("HOME") ?? strdup("/root"))
        return home + "/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    }()
    static var hasQwenGGUF: Bool { isRegularFile(qwenGGUFPath) }

    /// Loaded once for all tests that need it.
    static let qwen: Result<LMTokenizer, TokenizerError> = Result { () throws(TokenizerError) in
        try LMTokenizer(ggufPath: qwenGGUFPath)
    }

    static func jsonLines(_ path: String) throws -> [JSONValue] {
        let bytes = try readFileBytes(path)
        var values: [JSONValue] = []
        for line in bytes.split(separator: 0x0A) {
            do { values.append(try JSONReader.parse(Array(line))) } catch { throw FixtureError(message: error.message) }
        }
        return values
    }

    static func json(_ path: String) throws -> JSONValue {
        do { return try JSONReader.parse(try readFileBytes(path)) } catch let error as JSONReader.Failure {
            throw FixtureError(message: error.message)
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension JSONValue {
    var ids: [Int32]? {
        guard case .array(let items) = self else { return nil }
        return items.compactMap { $0.intValue.map(Int32.init) }
    }
    var text: String? {
        guard case .string(let scalars) = self else { return nil }
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars)
        return s
    }
}

func hexBytes(_ hex: String) -> [UInt8] {
    let chars = Array(hex.utf8)
    return stride(from: 0, to: chars.count, by: 2).map { UInt8(TableText.hex(chars[$0..<($0 + 2)])) }
}

