import Imaging
import Testing

@Suite struct JPEGTests {
    static let hd = try! SyntheticScene.make(width: 1280, height: 720, seed: 1)

    @Test(arguments: [JPEGScale.half, .quarter, .eighth])
    func scaledDecodeMatchesFullDecodeThenDownscale(_ scale: JPEGScale) throws {
        let jpeg = try JPEGEncoder().encode(Self.hd, quality: 90)
        let decoder = try JPEGDecoder()
        let full = try decoder.decode(jpeg)
        let scaled = try decoder.decode(jpeg, scale: scale)
        #expect(scaled.width == 1280 / scale.denominator)
        #expect(scaled.height == 720 / scale.denominator)
        let reference = try full.downscaled(by: scale.denominator)
        let psnr = try scaled.psnr(to: reference)
        // The DCT-domain scale differs from a box filter only in filtering detail.
        #expect(psnr > 30, "PSNR \(psnr) dB at \(scale)")
    }

    @Test func fullDecodeIsFaithfulToTheSource() throws {
        let jpeg = try JPEGEncoder().encode(Self.hd, quality: 95, subsampling: .s444)
        #expect(try JPEGDecoder().decode(jpeg).psnr(to: Self.hd) > 35)
    }

    @Test func scaledSizesRoundUpLikeLibjpeg() throws {
        let odd = try SyntheticScene.make(width: 101, height: 37, seed: 2)
        let jpeg = try JPEGEncoder().encode(odd)
        let decoder = try JPEGDecoder()
        for scale in JPEGScale.allCases {
            let image = try decoder.decode(jpeg, scale: scale)
            #expect(image.width == (101 + scale.denominator - 1) / scale.denominator)
            #expect(image.height == (37 + scale.denominator - 1) / scale.denominator)
        }
    }

    @Test func truncatedAndGarbageInputThrow() throws {
        let jpeg = try JPEGEncoder().encode(Self.hd, quality: 80)
        let decoder = try JPEGDecoder()
        #expect(throws: ImagingError.self) { try decoder.decode(Array(jpeg.prefix(jpeg.count / 2))) }
        #expect(throws: ImagingError.self) { try decoder.decode(Array(jpeg.prefix(100))) }
        #expect(throws: ImagingError.self) { try decoder.decode([UInt8](repeating: 7, count: 5000)) }
        #expect(throws: ImagingError.self) { try decoder.decode([]) }
        // The decoder is still usable afterwards.
        #expect(try decoder.decode(jpeg, scale: .eighth).width == 160)
    }

    @Test func chooseTheSmallestScaleThatStillCoversTheModelInput() {
        #expect(JPEGScale.largest(reducing: 1280, 720, toAtLeast: 224) == .half)
        #expect(JPEGScale.largest(reducing: 1920, 1080, toAtLeast: 224) == .quarter)
        #expect(JPEGScale.largest(reducing: 640, 480, toAtLeast: 224) == .half)
        #expect(JPEGScale.largest(reducing: 320, 240, toAtLeast: 224) == .full)
        #expect(JPEGScale.largest(reducing: 4000, 3000, toAtLeast: 336) == .eighth)
    }
}

@Suite struct PNGTests {
    @Test func roundTripIsLossless() throws {
        let image = try SyntheticScene.make(width: 33, height: 17, seed: 9)
        let png = try PNGCodec.encode(image)
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        #expect(try PNGCodec.decode(png) == image)
    }

    @Test func corruptInputThrows() throws {
        let png = try PNGCodec.encode(try SyntheticScene.make(width: 40, height: 40, seed: 1))
        #expect(throws: ImagingError.self) { try PNGCodec.decode(Array(png.prefix(png.count / 2))) }
        #expect(throws: ImagingError.self) { try PNGCodec.decode([1, 2, 3]) }
        var flipped = png
        flipped[png.count / 2] ^= 0xFF  // breaks the zlib stream's CRC
        #expect(throws: ImagingError.self) { try PNGCodec.decode(flipped) }
    }
}
