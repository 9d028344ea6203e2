@testable import CLIP
import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct PillowBicubicTests {
    struct Case: Decodable {
        var width: Int, height: Int
        var out_width: Int, out_height: Int
        var input: [UInt8], output: [UInt8]
    }

    struct Fixture: Decodable { var cases: [Case] }

    @Test func resizeIsBitExactWithPillow() throws {
        let data = try Data(contentsOf: RepositoryPaths.fixtures.appendingPathComponent("imaging/pillow_bicubic.json"))
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

    @Test func resamplingAWindowEqualsCroppingTheFullResize() throws {
        var rng = SplitMix64(seed: 12)
        for _ in 0..<40 {
            let w = 2 + rng.next(upTo: 60), h = 2 + rng.next(upTo: 60)
            let ow = 1 + rng.next(upTo: 70), oh = 1 + rng.next(upTo: 70)
            let image = try SyntheticScene.make(width: w, height: h, seed: rng.next(), noise: 30)
            let full = try PillowBicubic.resize(image, width: ow, height: oh)
            let x0 = rng.next(upTo: ow), y0 = rng.next(upTo: oh)
            let columns = x0..<(x0 + 1 + rng.next(upTo: ow - x0)), rows = y0..<(y0 + 1 + rng.next(upTo: oh - y0))
            var mismatches = 0, visited = 0
            try PillowBicubic.resize(image, width: ow, height: oh, rows: rows, columns: columns) { x, y, r, g, b in
                visited += 1
                let o = (y * ow + x) * 3
                if full.pixels[o] != r || full.pixels[o + 1] != g || full.pixels[o + 2] != b { mismatches += 1 }
            }
            #expect(visited == rows.count * columns.count)
            #expect(mismatches == 0, "\(w)x\(h) -> \(ow)x\(oh) window \(columns) x \(rows)")
        }
    }

    @Test func resizedSizeFollowsTransformers() {
        #expect(CLIPImageProcessor.resizedSize(width: 640, height: 480, shortestEdge: 224) == (298, 224))
        #expect(CLIPImageProcessor.resizedSize(width: 480, height: 640, shortestEdge: 224) == (224, 298))
        #expect(CLIPImageProcessor.resizedSize(width: 100, height: 100, shortestEdge: 224) == (224, 224))
    }
}
