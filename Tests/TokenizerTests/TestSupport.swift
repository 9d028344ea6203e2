import Glibc
@testable import Tokenizers

/// Paths and shared objects for the tokenizer tests.
enum TestSupport {
    /// The repository root, found from this file's location.
    static let repoRoot: String = {
        var path = #filePath
        for _ in 0..<3 {  // Tests/TokenizerTests/TestSupport.swift
            path = String(path[..<path.lastIndex(of: "/")!])
        }
        return path
    }()

    /// OpenAI's merges file lives in shared/ beside the repository, not in it.
    static let openAIVocabularyPath = repoRoot + "/../shared/data/bpe_simple_vocab_16e6.txt.gz"
    static let referencePath = repoRoot + "/Tests/Fixtures/clip/tokenizer/reference.jsonl"

    /// Built once: loading the 49,408-token vocabulary is the slow part.
    static let tokenizer: Result<CLIPTokenizer, TokenizerError> = Result {
        () throws(TokenizerError) in try CLIPTokenizer(openAIVocabularyPath: openAIVocabularyPath)
    }

    static func clip() throws -> CLIPTokenizer {
        try tokenizer.get()
    }

    static func readText(_ path: String) throws -> [UInt8] {
        try readFileBytes(path)
    }
}

/// A temporary folder removed when the value goes away.
final class ScratchFolder {
    let path: String

    init() {
        var template = Array("/tmp/tokenizer-tests-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(file)")
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        write(name, Array(text.utf8))
    }
}
