/// YUYV (YUY2, 4:2:2 packed) to RGB8, the uncompressed format every UVC webcam offers.
///
/// UVC cameras deliver BT.601 with limited ("studio") range: Y in 16...235 and
/// chroma in 16...240. The integer coefficients are the usual 8-bit fixed-point
/// form of that matrix, rounded to nearest.
public enum YUYV {
    /// Converts a YUYV buffer whose rows are `bytesPerRow` apart (V4L2's bytesperline).
    public static func toRGB(
        _ source: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerRow: Int? = nil
    ) throws(ImagingError) -> RGBImage {
        let stride = bytesPerRow ?? width * 2
        guard width > 0, height > 0, width % 2 == 0 else {
            throw .invalidSize("YUYV needs a positive, even width; got \(width)x\(height)")
        }
        guard stride >= width * 2, source.count >= stride * (height - 1) + width * 2 else {
            throw .invalidSize("YUYV \(width)x\(height) needs \(stride * height) bytes, got \(source.count)")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            let dst = out.baseAddress!
            let src = source.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for row in 0..<height {
                let line = src + row * stride
                var o = dst + row * width * 3
                for pair in 0..<(width / 2) {
                    let p = line + pair * 4
                    let u = Int32(p[1]) - 128, v = Int32(p[3]) - 128
                    let rv = 409 * v, guv = -100 * u - 208 * v, bu = 516 * u
                    let c0 = 298 * (Int32(p[0]) - 16) + 128
                    o[0] = clamp((c0 + rv) >> 8)
                    o[1] = clamp((c0 + guv) >> 8)
                    o[2] = clamp((c0 + bu) >> 8)
                    let c1 = 298 * (Int32(p[2]) - 16) + 128
                    o[3] = clamp((c1 + rv) >> 8)
                    o[4] = clamp((c1 + guv) >> 8)
                    o[5] = clamp((c1 + bu) >> 8)
                    o += 6
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    public static func toRGB(_ source: [UInt8], width: Int, height: Int) throws(ImagingError) -> RGBImage {
        try withBytes(source) { (raw) throws(ImagingError) in try toRGB(raw, width: width, height: height) }
    }

    /// RGB8 to YUYV with the inverse BT.601 limited-range matrix (chroma averaged over each pixel pair).
    /// Used to synthesise camera frames for tests and the simulated device.
    public static func fromRGB(_ image: RGBImage) -> [UInt8] {
        let width = image.width - image.width % 2
        var out = [UInt8](repeating: 0, count: width * image.height * 2)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<image.height {
                    for pair in 0..<(width / 2) {
                        let s = row * image.stride + pair * 6
                        let (y0, u0, v0) = yuv(src, s)
                        let (y1, u1, v1) = yuv(src, s + 3)
                        let d = row * width * 2 + pair * 4
                        dst[d] = clamp(y0)
                        dst[d + 1] = clamp((u0 + u1 + 1) >> 1)
                        dst[d + 2] = clamp(y1)
                        dst[d + 3] = clamp((v0 + v1 + 1) >> 1)
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    private static func yuv(_ rgb: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int32, Int32, Int32) {
        let r = Int32(rgb[i]), g = Int32(rgb[i + 1]), b = Int32(rgb[i + 2])
        return (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16,
                ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128,
                ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128)
    }

    @inline(__always)
    private static func clamp(_ value: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(255, max(0, value)))
    }
}
