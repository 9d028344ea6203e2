/// Deterministic camera-like test images: smooth lighting, solid shapes with
/// hard edges, and sensor noise, so JPEG sizes and decode costs resemble a
/// webcam's rather than a flat test card's. Used by benchmarks and tests.
public enum SyntheticScene {
    public static func make(width: Int, height: Int, seed: UInt64, noise: Int = 6) throws(ImagingError) -> RGBImage {
        var image = try RGBImage(width: width, height: height)
        var rng = SplitMix64(seed: seed)
        let tint = (rng.next(upTo: 60), rng.next(upTo: 60), rng.next(upTo: 60))
        let shapes = (0..<6).map { _ in
            (x: rng.next(upTo: width), y: rng.next(upTo: height),
             r: 10 + rng.next(upTo: max(1, min(width, height) / 4)),
             color: (rng.next(upTo: 256), rng.next(upTo: 256), rng.next(upTo: 256)), square: rng.next(upTo: 2) == 0)
        }
        image.pixels.withUnsafeMutableBufferPointer { px in
            for y in 0..<height {
                for x in 0..<width {
                    var r = 90 + tint.0 + 80 * x / width, g = 90 + tint.1 + 60 * y / height, b = 120 + tint.2 - 40 * x / width
                    for s in shapes {
                        let dx = x - s.x, dy = y - s.y
                        let inside = s.square ? (abs(dx) < s.r && abs(dy) < s.r) : (dx * dx + dy * dy < s.r * s.r)
                        if inside { (r, g, b) = s.color }
                    }
                    let n = noise > 0 ? rng.next(upTo: 2 * noise + 1) - noise : 0
                    let i = (y * width + x) * 3
                    px[i] = UInt8(clamping: r + n)
                    px[i + 1] = UInt8(clamping: g + n)
                    px[i + 2] = UInt8(clamping: b + n)
                }
            }
        }
        return image
    }
}

/// A small, fast, seedable generator (Steele et al.'s SplitMix64), so test images are identical everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<bound.
    public mutating func next(upTo bound: Int) -> Int {
        Int(next() % UInt64(max(1, bound)))
    }
}
