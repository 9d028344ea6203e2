import Foundation
import Imaging
import Testing

@Suite struct AnnotationTests {
    static func fixture(_ name: String) throws -> RGBImage {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/imaging/\(name)").standardized
        return try PNGCodec.decode(Array(try Data(contentsOf: url)))
    }

    /// Text drawn with the embedded font is pixel-identical to Pillow drawing the
    /// same string with its built-in bitmap font (scripts/fixtures/make_annotation_fixtures.py).
    @Test(arguments: [("text_label.png", 2, 1, "red cube 0.83"), ("text_symbols.png", 0, 2, "pick: [12,40]{a_b}~")])
    func textMatchesPillow(name: String, x: Int, y: Int, text: String) throws {
        let expected = try Self.fixture(name)
        var image = try RGBImage(width: expected.width, height: expected.height)
        BitmapFont.draw(text, into: &image, x: x, y: y, color: (255, 255, 255))
        let differing = zip(image.pixels, expected.pixels).filter { $0 != $1 }.count
        #expect(differing == 0)
        #expect(image.pixels.contains(255))
    }

    @Test func boxOutlineCoversTheEdgesOnly() throws {
        var image = try RGBImage(width: 40, height: 30)
        image.annotate([BoxAnnotation(box: [10, 8, 30, 20], label: "", color: (0, 255, 0))], thickness: 2)
        func green(_ x: Int, _ y: Int) -> Bool { image.pixels[(y * 40 + x) * 3 + 1] == 255 }
        #expect(green(10, 8) && green(29, 19) && green(11, 14) && green(28, 14) && green(20, 9) && green(20, 18))
        #expect(!green(12, 10) && !green(27, 17) && !green(9, 8) && !green(30, 20) && !green(20, 7))
        let painted = stride(from: 1, to: image.pixels.count, by: 3).filter { image.pixels[$0] == 255 }.count
        #expect(painted == 20 * 12 - 16 * 8)
    }

    @Test func labelsAndBoxesClipAtTheImageEdge() throws {
        var image = try RGBImage(width: 16, height: 10)
        image.annotate([BoxAnnotation(box: [-5, -5, 100, 100], label: "a very long label that runs off")])
        #expect(image.pixels.count == 16 * 10 * 3)
    }
}
