import CLIP
import Foundation
@testable import Grounding
import Imaging
import Testing

/// The demo CLIP (Models/demo-clip) and a few committed scenes from
/// scripts/demo/make_scenes.py (Tests/Fixtures/demo/scenes, with the generator's truth.jsonl).
enum DemoFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let model = repository.appendingPathComponent("Models/demo-clip")
    static let scenes = repository.appendingPathComponent("Tests/Fixtures/demo/scenes")
    static var modelPresent: Bool { FileManager.default.fileExists(atPath: model.appendingPathComponent("model.safetensors").path) }

    struct Truth: Decodable {
        struct Object: Decodable { var phrase: String; var box: [Float] }
        var file: String
        var objects: [Object]
        var absent: [String]
    }

    static func truth() throws -> [Truth] {
        try String(contentsOf: scenes.appendingPathComponent("truth.jsonl"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map { try JSONDecoder().decode(Truth.self, from: Data($0.utf8)) }
    }

    static func grounder() throws -> Grounder {
        let clip = try CLIPModel(directory: model.path)
        let vocabulary = try String(contentsOf: model.appendingPathComponent("vocabulary.txt"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        return try Grounder(model: clip, tokenizer: try clip.loadTokenizer(), vocabulary: vocabulary)
    }
}

@Suite struct GroundingGeometryTests {
    @Test func boxIoUOfKnownPairs() {
        let a = GroundingBox(x0: 0, y0: 0, x1: 10, y1: 10)
        #expect(a.iou(a) == 1)
        #expect(a.iou(GroundingBox(x0: 5, y0: 0, x1: 15, y1: 10)) == Float(50) / 150)
        #expect(a.iou(GroundingBox(x0: 10, y0: 10, x1: 20, y1: 20)) == 0)
        #expect(a.center == (5, 5))
    }

    @Test func slidingWindowsTileTheFrameEdgeToEdge() {
        // 320x240, windows half the short side (120 px) stepped by 60: x at 0, 60, 120, 180 and flush 200; y at 0, 60, 120.
        let windows = slidingWindows(width: 320, height: 240, scales: [0.5], stride: 0.5)
        #expect(windows.count == 15)
        #expect(Set(windows.map(\.x0)) == [0, 60, 120, 180, 200])
        #expect(Set(windows.map(\.y0)) == [0, 60, 120])
        #expect(windows.allSatisfy { $0.width == 120 && $0.height == 120 && $0.x1 <= 320 && $0.y1 <= 240 })
        // On a 100x40 strip a full-height window (40 px, step 20) slides along x only: 0, 20, 40, 60.
        #expect(slidingWindows(width: 100, height: 40, scales: [1.0], stride: 0.5).count == 4)
    }

    @Test func suppressionKeepsTheBestOfOverlappingWindows() {
        func region(_ x: Float, _ p: Float) -> GroundingResult.Region {
            .init(box: GroundingBox(x0: x, y0: 0, x1: x + 10, y1: 10), probability: p, rank: p)
        }
        let kept = Grounder.suppress([region(0, 0.9), region(2, 0.8), region(30, 0.7), region(31, 0.6)], iou: 0.3, keep: 5)
        #expect(kept.map(\.box.x0) == [0, 30])
    }

    @Test func badConfigurationIsRefusedByName() {
        var c = GroundingConfiguration()
        c.windowScales = [0]
        #expect(c.validate()?.contains("window scales") == true)
        c = GroundingConfiguration()
        c.templates = ["no placeholder"]
        #expect(c.validate()?.contains("{}") == true)
        #expect(GroundingConfiguration().validate() == nil)
    }
}

@Suite(.enabled(if: DemoFixtures.modelPresent, "needs Models/demo-clip"))
struct DemoGroundingTests {
    @Test func groundsEveryPresentObjectAndAbstainsOnAnAbsentOne() throws {
        let grounder = try DemoFixtures.grounder()
        let truth = try DemoFixtures.truth()
        #expect(!truth.isEmpty)
        for scene in truth {
            let image = try ImageFile.read(DemoFixtures.scenes.appendingPathComponent(scene.file).path)
            for object in scene.objects {
                let result = try grounder.ground(object.phrase, in: image)
                let want = GroundingBox(x0: object.box[0], y0: object.box[1], x1: object.box[2], y1: object.box[3])
                #expect(result.status == .grounded, "\(scene.file) '\(object.phrase)': \(result.status) score \(result.score)")
                let overlap = result.box?.iou(want) ?? 0
                #expect(overlap >= 0.5, "\(scene.file) '\(object.phrase)': IoU \(overlap) box \(result.box.map(\.array) ?? [])")
            }
            let absent = try #require(scene.absent.first)
            let result = try grounder.ground(absent, in: image)
            #expect(result.status == .notFound, "\(scene.file) absent '\(absent)': \(result.status) score \(result.score)")
            #expect(result.box == nil)
        }
    }

    @Test func badInputIsAClearError() throws {
        let grounder = try DemoFixtures.grounder()
        let image = try RGBImage(width: 64, height: 64)
        #expect { try grounder.ground("   ", in: image) } throws: { "\($0)".contains("empty") }
        let sliver = try RGBImage(width: 4, height: 4)
        #expect { try grounder.ground("a red cube", in: sliver) } throws: { "\($0)".contains("too small") }
    }
}

/// Windows go into the model the way the demo CLIP was trained: Pillow's BOX resize of the window.
@Suite struct WindowSamplerTests {
    struct Reference: Decodable {
        struct Window: Decodable {
            struct Tensor: Decodable { var shape: [Int]; var data: [Float] }
            var file: String
            var box: [Int]
            var pil_box_uint8_hwc: Tensor
        }
        var windows: [Window]
    }

    @Test func samplerMatchesPillowBoxResize() throws {
        let url = DemoFixtures.repository.appendingPathComponent("Tests/Fixtures/demo/clip_reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let preprocessing = CLIPPreprocessorConfiguration(imageSize: 48)
        for window in reference.windows {
            let side = window.pil_box_uint8_hwc.shape[0]
            let sampler = WindowSampler(preprocessing: preprocessing, side: side)
            let image = try ImageFile.read(DemoFixtures.scenes.appendingPathComponent(window.file).path)
            var output = [Float](repeating: 0, count: sampler.floatsPerWindow)
            var scratch = [Float](repeating: 0, count: sampler.scratchCount(frameHeight: image.height))
            let b = window.box
            image.pixels.withUnsafeBufferPointer { source in
                scratch.withUnsafeMutableBufferPointer { s in
                    output.withUnsafeMutableBufferPointer { out in
                        sampler.sample(source, width: image.width, height: image.height,
                                       window: (b[0], b[1], b[2] - b[0], b[3] - b[1]), scratch: s.baseAddress!, into: out.baseAddress!)
                    }
                }
            }
            // Undo the normalisation. Pillow rounds to 8 bits after each of its two passes, the
            // sampler keeps floats: at most one level apart anywhere, and under half a level on average (two roundings).
            var worst: Float = 0, total: Float = 0
            let plane = side * side
            for y in 0..<side {
                for x in 0..<side {
                    for c in 0..<3 {
                        let value = (output[c * plane + y * side + x] * preprocessing.imageStd[c] + preprocessing.imageMean[c]) * 255
                        let difference = abs(value - window.pil_box_uint8_hwc.data[(y * side + x) * 3 + c])
                        worst = max(worst, difference)
                        total += difference
                    }
                }
            }
            #expect(worst <= 1.01, "window \(b): max difference \(worst) from Pillow")
            #expect(total / Float(3 * plane) <= 0.5, "window \(b): mean difference \(total / Float(3 * plane)) from Pillow")
        }
    }
}
