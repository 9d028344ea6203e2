import Foundation

extension RGBImage {
    /// Box-filter downscale by an integer factor: each output pixel is the mean
    /// of a `factor x factor` block (edge blocks average what exists). This is
    /// what a DCT-domain scaled decode approximates.
    public func downscaled(by factor: Int) throws(ImagingError) -> RGBImage {
        guard factor >= 1 else { throw .invalidSize("downscale factor \(factor) must be at least 1") }
        if factor == 1 { return self }
        let outW = (width + factor - 1) / factor, outH = (height + factor - 1) / factor
        var out = [UInt8](repeating: 0, count: outW * outH * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<outH {
                    let y0 = oy * factor, y1 = min(height, y0 + factor)
                    for ox in 0..<outW {
                        let x0 = ox * factor, x1 = min(width, x0 + factor)
                        var r = 0, g = 0, b = 0
                        for y in y0..<y1 {
                            var i = (y * width + x0) * 3
                            for _ in x0..<x1 {
                                r += Int(src[i]); g += Int(src[i + 1]); b += Int(src[i + 2])
                                i += 3
                            }
                        }
                        let n = (y1 - y0) * (x1 - x0)
                        let o = (oy * outW + ox) * 3
                        dst[o] = UInt8((r + n / 2) / n)
                        dst[o + 1] = UInt8((g + n / 2) / n)
                        dst[o + 2] = UInt8((b + n / 2) / n)
                    }
                }
            }
        }
        return try RGBImage(width: outW, height: outH, pixels: out)
    }

    /// Peak signal-to-noise ratio in dB against another image of the same size
    /// (`infinity` when identical).
    public func psnr(to other: RGBImage) throws(ImagingError) -> Double {
        guard width == other.width, height == other.height else {
            throw .invalidSize("PSNR needs equal sizes, got \(width)x\(height) and \(other.width)x\(other.height)")
        }
        var sum = 0.0
        pixels.withUnsafeBufferPointer { a in
            other.pixels.withUnsafeBufferPointer { b in
                for i in 0..<a.count {
                    let d = Double(Int(a[i]) - Int(b[i]))
                    sum += d * d
                }
            }
        }
        let mse = sum / Double(pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
