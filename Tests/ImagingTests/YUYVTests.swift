import Imaging
import Testing

@Suite struct YUYVTests {
    /// BT.601 limited range reference values (ITU-R BT.601; the same figures
    /// appear in every YCbCr conversion table): black, white, and the 75% and
    /// 100% colour bars.
    @Test(arguments: [
        // (Y, U, V) -> (R, G, B)
        ((16, 128, 128), (0, 0, 0)),
        ((235, 128, 128), (255, 255, 255)),
        ((126, 128, 128), (128, 128, 128)),
        ((81, 90, 240), (255, 0, 0)),
        ((145, 54, 34), (0, 255, 0)),
        ((41, 240, 110), (0, 0, 255)),
        ((210, 16, 146), (255, 255, 0)),
        ((65, 100, 212), (191, 0, 0)),   // 75% red bar
    ])
    func knownColours(_ yuv: (Int, Int, Int), _ rgb: (Int, Int, Int)) throws {
        let (y, u, v) = (UInt8(yuv.0), UInt8(yuv.1), UInt8(yuv.2))
        let image = try YUYV.toRGB([y, u, y, v], width: 2, height: 1)
        for pixel in 0..<2 {
            let got = image.pixels[(pixel * 3)..<(pixel * 3 + 3)].map(Int.init)
            for (channel, want) in [rgb.0, rgb.1, rgb.2].enumerated() {
                #expect(abs(got[channel] - want) <= 2, "YUV \(yuv) -> \(got), expected \(rgb)")
            }
        }
    }

    @Test func eachPixelKeepsItsOwnLuma() throws {
        let image = try YUYV.toRGB([16, 128, 235, 128], width: 2, height: 1)
        #expect(image.pixels == [0, 0, 0, 255, 255, 255])
    }

    @Test func honoursRowPadding() throws {
        // Two rows of one pixel pair each, padded to 8 bytes per row.
        let padded: [UInt8] = [235, 128, 235, 128, 9, 9, 9, 9, 16, 128, 16, 128]
        let image = try padded.withUnsafeBytes { try YUYV.toRGB($0, width: 2, height: 2, bytesPerRow: 8) }
        #expect(image.pixels == [255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0])
    }

    @Test func roundTripThroughYUYVLosesOnlyRounding() throws {
        // Pixel pairs share their chroma in YUYV, so give each pair one colour:
        // then the only loss left is 8-bit rounding in the two matrices.
        let half = try SyntheticScene.make(width: 32, height: 48, seed: 3, noise: 20)
        var pixels: [UInt8] = []
        for i in stride(from: 0, to: half.pixels.count, by: 3) {
            let rgb = half.pixels[i..<(i + 3)]
            pixels += rgb
            pixels += rgb
        }
        let original = try RGBImage(width: 64, height: 48, pixels: pixels)
        let back = try YUYV.toRGB(YUYV.fromRGB(original), width: 64, height: 48)
        let worst = zip(back.pixels, original.pixels).map { abs(Int($0) - Int($1)) }.max()!
        #expect(worst <= 3, "largest channel error \(worst)")
    }

    @Test func rejectsBadSizes() {
        #expect(throws: ImagingError.self) { try YUYV.toRGB([1, 2, 3], width: 3, height: 1) }
        #expect(throws: ImagingError.self) { try YUYV.toRGB([1, 2, 3, 4], width: 2, height: 2) }
        #expect(throws: ImagingError.self) { try YUYV.toRGB([], width: 0, height: 0) }
    }
}
