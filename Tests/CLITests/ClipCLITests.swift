import Foundation
import TestSupport
import Testing

/// `sightline clip` and `sightline tokenize` are contracts external checks use:
/// their JSON must carry transformers' numbers.
@Suite("sightline clip and tokenize")
struct ClipCLITests {
    static let fixtures = CLI.repository.appendingPathComponent("Tests/Fixtures/clip")

    func reference(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("\(name)/reference.json"))) as! [String: Any]
    }

    func rows(_ tensor: Any?) -> [[Double]] {
        let t = tensor as! [String: Any]
        let shape = t["shape"] as! [Int], data = t["data"] as! [Double]
        return (0..<shape[0]).map { Array(data[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
    }

    @Test(arguments: ["tiny_a", "tiny_b_f16", "tiny_c_bf16"])
    func clipJSONMatchesTransformers(_ name: String) throws {
        let ref = try reference(name)
        let texts = (ref["texts"] as! [[String: Any]]).compactMap { $0["text"] as? String }
        let dir = Self.fixtures.appendingPathComponent(name).path
        var arguments = ["clip", "--model", dir, "--json", "--image", dir + "/image0.png", "--image", dir + "/image1.png"]
        for text in texts { arguments += ["--text", text] }
        let result = try CLI.run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: [[Double]]]
        let vision = ref["vision"] as! [String: Any], text = ref["text"] as! [String: Any]
        let wantImages = Array(rows(vision["image_embeds"]).prefix(2)), wantTexts = Array(rows(text["text_embeds"]).prefix(texts.count))
        let wantLogits = rows(ref["logits_per_image"]).prefix(2).map { Array($0.prefix(texts.count)) }
        func maxError(_ a: [[Double]]?, _ b: [[Double]]) -> Double {
            guard let a, a.count == b.count else { return .infinity }
            return zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? (($0.count == $1.count) ? 0 : .infinity) }.max() ?? 0
        }
        #expect(maxError(output["image_embeds"], wantImages) <= 1e-4)
        #expect(maxError(output["text_embeds"], wantTexts) <= 1e-4)
        let logits = try #require(output["logits_per_image"])
        for (got, want) in zip(logits.joined(), wantLogits.joined()) { #expect(abs(got - want) <= 1e-3 * max(1, abs(want))) }
        for (row, probs) in zip(wantLogits, try #require(output["probs"])) {
            let m = row.max()!, e = row.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            for (got, want) in zip(probs, e.map { $0 / s }) { #expect(abs(got - want) <= 1e-4) }
        }
    }

    @Test func tokenizeGivesTheReferenceIDs() throws {
        let ref = try reference("tiny_c_bf16")
        for text in (ref["texts"] as! [[String: Any]]) {
            guard let string = text["text"] as? String else { continue }
            let ids = text["input_ids"] as! [Int], mask = text["attention_mask"] as! [Int]
            let result = try CLI.run(["tokenize", "--model", Self.fixtures.appendingPathComponent("tiny_c_bf16").path, "--clip", string, "--json"])
            #expect(result.status == 0)
            let output = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: [Int]]
            #expect(output["ids"] == zip(ids, mask).filter { $0.1 == 1 }.map(\.0))
        }
    }

    @Test func badInputIsOneClearLine() throws {
        let tiny = Self.fixtures.appendingPathComponent("tiny_a").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clip-cli-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // A 1x1 PNG, a corrupt JPEG, and a model folder without tokenizer files.
        let onePixel = scratch.appendingPathComponent("one.png")
        try Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")!.write(to: onePixel)
        let corrupt = scratch.appendingPathComponent("bad.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: corrupt)
        let noTokenizer = scratch.appendingPathComponent("model")
        try FileManager.default.copyItem(atPath: tiny, toPath: noTokenizer.path)
        try FileManager.default.removeItem(at: noTokenizer.appendingPathComponent("vocab.json"))
        try FileManager.default.removeItem(at: noTokenizer.appendingPathComponent("merges.txt"))
        let cases: [([String], String)] = [
            (["clip", "--model", tiny], "at least one"),
            (["clip", "--model", tiny, "--text", "  "], "empty"),
            (["clip", "--model", "/no/model", "--text", "a"], "/no/model"),
            (["clip", "--model", tiny, "--image", "/no/image.png"], "/no/image.png"),
            (["clip", "--model", tiny, "--image", onePixel.path], "too small"),
            (["clip", "--model", tiny, "--image", corrupt.path], "bad.jpg"),
            (["clip", "--model", tiny, "--image", CLI.repository.appendingPathComponent("Package.swift").path], "neither"),
            (["clip", "--model", noTokenizer.path, "--text", "a cat"], "tokenizer"),
            (["tokenize", "--model", noTokenizer.path, "--clip", "a cat"], "tokenizer"),
        ]
        for (arguments, mention) in cases {
            let result = try CLI.run(arguments)
            #expect(!result.crashed && result.status != 0, "\(arguments)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("sightline: error: ") && result.stderr.contains(mention),
                    "\(arguments): \(result.stderr)")
        }
    }

    @Test func aVeryLongTextIsTruncatedWithAWarning() throws {
        let long = String(repeating: "robot ", count: 1700)  // about 10,000 characters
        let result = try CLI.run(["clip", "--model", Self.fixtures.appendingPathComponent("tiny_a").path, "--text", long, "--json"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning") && result.stderr.contains("using the first 16"))
        let output = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: [[Double]]]
        #expect(output["text_embeds"]?.first?.count == 16)
    }
}
