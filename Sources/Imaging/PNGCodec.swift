import CPNG

/// PNG reading and writing through libpng's simplified API, which reports
/// errors through its return value instead of longjmp (which Swift cannot
/// unwind through).
public enum PNGCodec {
    /// Decodes any PNG (grey, palette, 16-bit, alpha) to RGB8; alpha is composited on black.
    public static func decode(_ data: [UInt8]) throws(ImagingError) -> RGBImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        let began = data.withUnsafeBytes { bytes in
            png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count)
        }
        guard began != 0 else { throw .corruptPNG(message(of: &image)) }
        defer { png_image_free(&image) }
        image.format = png_uint_32(PNG_FORMAT_RGB)
        let width = Int(image.width), height = Int(image.height)
        guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
            throw .corruptPNG("implausible size \(width)x\(height)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let finished = pixels.withUnsafeMutableBytes { out in
            png_image_finish_read(&image, nil, out.baseAddress, Int32(width * 3), nil)
        }
        guard finished != 0 else { throw .corruptPNG(message(of: &image)) }
        return try RGBImage(width: width, height: height, pixels: pixels)
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
