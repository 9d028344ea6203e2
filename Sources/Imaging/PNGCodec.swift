import CPNG

/// PNG reading and writing through libpng's simplified API, which reports
/// errors through its return value instead of longjmp (which Swift cannot
/// unwind through).
public enum PNGCodec {
    /// Decodes any PNG (grey, palette, 16-bit, alpha) to RGB8. Transparent
    /// pixels are composited onto white exactly as Pillow's `alpha_composite`
    /// does, which is what transformers' image processors do with RGBA input.
    public static func decode(_ data: [UInt8]) throws(ImagingError) -> RGBImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        let began = data.withUnsafeBytes { bytes in
            png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count)
        }
        guard began != 0 else { throw .corruptPNG(message(of: &image)) }
        defer { png_image_free(&image) }
        // Straight (not premultiplied) 8-bit sRGB with alpha.
        image.format = png_uint_32(PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw .corruptPNG("implausible size \(width)x\(height)")
        }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let finished = rgba.withUnsafeMutableBytes { out in
            png_image_finish_read(&image, nil, out.baseAddress, Int32(width * 4), nil)
        }
        guard finished != 0 else { throw .corruptPNG(message(of: &image)) }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<(width * height) {
                    let a = UInt32(src[4 * i + 3])
                    for c in 0..<3 { dst[3 * i + c] = overWhite(UInt32(src[4 * i + c]), alpha: a) }
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: rgb)
    }

    /// One channel of Pillow's `alpha_composite(white, pixel)` (AlphaComposite.c,
    /// 7 fraction bits, division by 255 done with shifts).
    @inline(__always)
    static func overWhite(_ value: UInt32, alpha: UInt32) -> UInt8 {
        if alpha == 255 { return UInt8(value) }
        if alpha == 0 { return 255 }
        let precision: UInt32 = 7
        let outA255 = alpha * 255 + 255 * (255 - alpha)
        let coef1 = alpha * 255 * 255 * (1 << precision) / outA255
        let coef2 = 255 * (1 << precision) - coef1
        let t = value * coef1 + 255 * coef2 + (0x80 << precision)
        return UInt8(clamping: (((t >> 8) + t) >> 8) >> precision)
    }

    public static func encode(_ rgb: RGBImage) throws(ImagingError) -> [UInt8] {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(rgb.width)
        image.height = png_uint_32(rgb.height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        var size: Int = 0
        // First call sizes the output, second writes it.
        let sized = rgb.pixels.withUnsafeBytes { src in
            png_image_write_to_memory(&image, nil, &size, 0, src.baseAddress, Int32(rgb.stride), nil)
        }
        guard sized != 0, size > 0 else { throw .encodeFailed(message(of: &image)) }
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBytes { dst in
            rgb.pixels.withUnsafeBytes { src in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, Int32(rgb.stride), nil)
            }
        }
        guard written != 0 else { throw .encodeFailed(message(of: &image)) }
        out.removeLast(out.count - size)
        return out
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
