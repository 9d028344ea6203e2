@testable import CLIP
import Foundation
import Imaging
import Testing

@Suite struct PillowBicubicTests {
    struct Case: Decodable {
        var width: Int, height: Int
        var out_width: Int, out_height: Int
        var input: [UInt8], output: [UInt8]
    }

    struct Fixture: Decodable { var cases: [Case] }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func resizeIsBitExactWithPillow() throws {
        let data = try Data(contentsOf: Self.repository.appendingPathComponent("Tests/Fixtures/imaging/pillow_bicubic.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        #expect(fixture.cases.count >= 10)
        for c in fixture.cases {
            let image = try RGBImage(width: c.width, height: c.height, pixels: c.input)
            let resized = try PillowBicubic.resize(image, width: c.out_width, height: c.out_height)
            let wrong = zip(resized.pixels, c.output).filter { $0 != $1 }.count
            #expect(resized.pixels.count == c.output.count && wrong == 0,
                    "\(c.width)x\(c.height) -> \(c.out_width)x\(c.out_height): \(wrong) values differ")
        }
    }

    @Test func resizedSizeFollowsTransformers() {
        #expect(CLIPImageProcessor.resizedSize(width: 640, height: 480, shortestEdge: 224) == (298, 224))
        #expect(CLIPImageProcessor.resizedSize(width: 480, height: 640, shortestEdge: 224) == (224, 298))
        #expect(CLIPImageProcessor.resizedSize(width: 100, height: 100, shortestEdge: 224) == (224, 224))
    }
}
