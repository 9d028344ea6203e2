import Foundation
import TestSupport
import Testing

/// `sightline ground`: the contract external checks use.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: CLI.repository.appendingPathComponent("Models/demo-clip/model.safetensors").path),
                "needs Models/demo-clip"))
struct GroundCLITests {
    static let scene = "Tests/Fixtures/demo/scenes"

    struct Truth: Decodable {
        struct Object: Decodable { var phrase: String; var box: [Double] }
        var file: String
        var objects: [Object]
        var absent: [String]
    }

    static func firstScene() throws -> Truth {
        let text = try String(contentsOf: CLI.repository.appendingPathComponent("\(scene)/truth.jsonl"), encoding: .utf8)
        return try JSONDecoder().decode(Truth.self, from: Data(text.split(separator: "\n")[0].utf8))
    }

    @Test func groundedAnswerHasTheContractShapeInImagePixels() throws {
        let truth = try Self.firstScene()
        let object = try #require(truth.objects.first)
        let result = try CLI.run(["ground", "--model", "Models/demo-clip", "--image", "\(Self.scene)/\(truth.file)", "--text", object.phrase, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "grounded")
        let box = try #require(json["box"] as? [Double])
        let center = try #require(json["center"] as? [Double])
        let score = try #require(json["score"] as? Double)
        #expect(box.count == 4 && center.count == 2)
        #expect((0...1).contains(score))
        // Pixels of the 320x240 input, the center inside the box, and on the object.
        #expect(box[0] >= 0 && box[1] >= 0 && box[2] <= 320 && box[3] <= 240 && box[0] < box[2] && box[1] < box[3])
        #expect(abs(center[0] - (box[0] + box[2]) / 2) < 0.2 && abs(center[1] - (box[1] + box[3]) / 2) < 0.2)
        let t = object.box
        #expect(center[0] >= t[0] && center[0] <= t[2] && center[1] >= t[1] && center[1] <= t[3], "center \(center) outside \(t)")
    }

    @Test func absentPhraseIsNotFoundWithNullBox() throws {
        let truth = try Self.firstScene()
        let absent = try #require(truth.absent.first)
        let result = try CLI.run(["ground", "--model", "Models/demo-clip", "--image", "\(Self.scene)/\(truth.file)", "--text", absent, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "not_found")
        #expect(json["box"] is NSNull && json["center"] is NSNull)
        #expect(json["score"] as? Double != nil)
    }

    @Test(arguments: [
        (["--image", "Tests/Fixtures/demo/no-such.png", "--text", "a red cube"], "no-such.png"),
        (["--image", "Tests/Fixtures/demo/scenes/truth.jsonl", "--text", "a red cube"], "neither a JPEG nor a PNG"),
        (["--image", "Tests/Fixtures/demo/scenes/0000.png", "--text", "   "], "--text"),
        (["--image", "Tests/Fixtures/demo/scenes/0000.png", "--text", "a red cube", "--prior", "1,2,3"], "--prior"),
        (["--image", "Tests/Fixtures/demo/scenes/0000.png"], "--text"),
    ])
    func badInputIsOneClearError(_ arguments: [String], _ named: String) throws {
        let result = try CLI.run(["ground", "--model", "Models/demo-clip"] + arguments)
        #expect(result.status != 0)
        #expect(!result.crashed)
        #expect(result.stderr.contains(named), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func missingModelIsNamed() throws {
        let result = try CLI.run(["ground", "--model", "Models/no-such-model", "--image", "Tests/Fixtures/demo/scenes/0000.png", "--text", "a red cube"])
        #expect(result.status != 0 && !result.crashed)
        #expect(result.stderr.contains("Models/no-such-model"), "\(result.stderr)")
    }
}
