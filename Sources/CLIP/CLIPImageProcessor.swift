import Foundation
public import Imaging

/// `preprocessor_config.json` of a CLIP checkpoint.
public struct CLIPPreprocessorConfiguration: Sendable, Equatable, Decodable {
    public var shortestEdge: Int
    public var cropHeight: Int
    public var cropWidth: Int
    public var doResize: Bool
    public var doCenterCrop: Bool
    public var doRescale: Bool
    public var doNormalize: Bool
    public var rescaleFactor: Float
    public var imageMean: [Float]
    public var imageStd: [Float]
    /// PIL's resample filter number; CLIP uses 3 (bicubic), the only one supported.
    public var resample: Int

    enum CodingKeys: String, CodingKey {
        case size, cropSize = "crop_size", doResize = "do_resize", doCenterCrop = "do_center_crop"
        case doRescale = "do_rescale", doNormalize = "do_normalize", rescaleFactor = "rescale_factor"
        case imageMean = "image_mean", imageStd = "image_std", resample
    }

    /// OpenAI's CLIP preprocessing at a given input size.
    public init(imageSize: Int = 224) {
        shortestEdge = imageSize
        cropHeight = imageSize
        cropWidth = imageSize
        doResize = true
        doCenterCrop = true
        doRescale = true
        doNormalize = true
        rescaleFactor = 1 / 255
        imageMean = [0.48145466, 0.4578275, 0.40821073]
        imageStd = [0.26862954, 0.26130258, 0.27577711]
        resample = 3
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // `size` is {"shortest_edge": N} in current files, a bare integer in old ones.
        if let edge = try? c.decode(Int.self, forKey: .size) {
            shortestEdge = edge
        } else if let size = try c.decodeIfPresent([String: Int].self, forKey: .size) {
            guard let edge = size["shortest_edge"] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .size, in: c, debugDescription: "size must give shortest_edge (CLIP resizes the shortest side)")
            }
            shortestEdge = edge
        }
        if let crop = try? c.decode(Int.self, forKey: .cropSize) {
            (cropHeight, cropWidth) = (crop, crop)
        } else if let crop = try c.decodeIfPresent([String: Int].self, forKey: .cropSize) {
            cropHeight = crop["height"] ?? cropHeight
            cropWidth = crop["width"] ?? cropWidth
        }
        doResize = try c.decodeIfPresent(Bool.self, forKey: .doResize) ?? doResize
        doCenterCrop = try c.decodeIfPresent(Bool.self, forKey: .doCenterCrop) ?? doCenterCrop
        doRescale = try c.decodeIfPresent(Bool.self, forKey: .doRescale) ?? doRescale
        doNormalize = try c.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? doNormalize
        rescaleFactor = try c.decodeIfPresent(Float.self, forKey: .rescaleFactor) ?? rescaleFactor
        imageMean = try c.decodeIfPresent([Float].self, forKey: .imageMean) ?? imageMean
        imageStd = try c.decodeIfPresent([Float].self, forKey: .imageStd) ?? imageStd
        resample = try c.decodeIfPresent(Int.self, forKey: .resample) ?? resample
    }

    func validate() -> String? {
        if imageMean.count != 3 || imageStd.count != 3 { return "image_mean and image_std need 3 values" }
        if imageStd.contains(where: { !($0 > 0) }) { return "image_std values must be positive" }
        if shortestEdge <= 0 || cropHeight <= 0 || cropWidth <= 0 { return "size and crop_size must be positive" }
        if doResize && resample != 3 { return "resample \(resample) is not supported (CLIP uses 3, bicubic)" }
        return nil
    }
}

/// CLIP's image preprocessing, as transformers' `CLIPImageProcessor` (the PIL
/// one) does it: resize so the shortest side is `shortest_edge` with Pillow's
/// bicubic filter (bit-exact: separable, 8-bit intermediate, fixed-point
/// weights), center crop (zero padding if the image is smaller), rescale to
/// 0...1, normalise with the checkpoint's mean and std. The result is
/// channels-first float32, ready for the patch embedding.
public struct CLIPImageProcessor: Sendable {
    public let configuration: CLIPPreprocessorConfiguration

    public init(configuration: CLIPPreprocessorConfiguration) {
        self.configuration = configuration
    }

    public var outputHeight: Int { configuration.doCenterCrop ? configuration.cropHeight : configuration.shortestEdge }
    public var outputWidth: Int { configuration.doCenterCrop ? configuration.cropWidth : configuration.shortestEdge }

    /// The size transformers resizes to: shortest side to `edge`, the other scaled and truncated.
    public static func resizedSize(width: Int, height: Int, shortestEdge edge: Int) -> (width: Int, height: Int) {
        if width <= height {
            return (edge, Int(Double(edge) * Double(height) / Double(width)))
        }
        return (Int(Double(edge) * Double(width) / Double(height)), edge)
    }

    /// Preprocesses one image into `3 * outputHeight * outputWidth` floats at `output`.
    public func process(_ image: RGBImage, into output: UnsafeMutablePointer<Float>) throws(CLIPError) {
        let c = configuration
        var resized = image
        if c.doResize {
            let target = Self.resizedSize(width: image.width, height: image.height, shortestEdge: c.shortestEdge)
            guard target.width > 0, target.height > 0 else {
                throw .invalidInput("a \(image.width)x\(image.height) image cannot be resized to a \(c.shortestEdge)-pixel short side")
            }
            do {
                resized = try PillowBicubic.resize(image, width: target.width, height: target.height)
            } catch {
                throw .invalidInput(error.description)
            }
        } else if !c.doCenterCrop, image.width != c.shortestEdge || image.height != c.shortestEdge {
            throw .invalidInput("without resize or crop the image must already be \(c.shortestEdge)x\(c.shortestEdge)")
        }
        let outH = outputHeight, outW = outputWidth
        // Center crop offsets as transformers computes them; negative means zero padding.
        let top = c.doCenterCrop ? (resized.height - outH) / 2 : 0
        let left = c.doCenterCrop ? (resized.width - outW) / 2 : 0
        let scale = c.doRescale ? c.rescaleFactor : 1
        let plane = outH * outW
        resized.pixels.withUnsafeBufferPointer { src in
            for channel in 0..<3 {
                let mean = c.doNormalize ? c.imageMean[channel] : 0
                let std = c.doNormalize ? c.imageStd[channel] : 1
                let out = output + channel * plane
                for y in 0..<outH {
                    let sy = y + top
                    for x in 0..<outW {
                        let sx = x + left
                        let value: Float
                        if sy >= 0, sy < resized.height, sx >= 0, sx < resized.width {
                            value = Float(src[(sy * resized.width + sx) * 3 + channel])
                        } else {
                            value = 0
                        }
                        out[y * outW + x] = (value * scale - mean) / std
                    }
                }
            }
        }
    }

    public func process(_ image: RGBImage) throws(CLIPError) -> [Float] {
        var values = [Float](repeating: 0, count: 3 * outputHeight * outputWidth)
        try values.withUnsafeMutableBufferPointer { (buffer) throws(CLIPError) in try process(image, into: buffer.baseAddress!) }
        return values
    }
}

/// Pillow's 8-bit bicubic resize, reproduced exactly (Resample.c, Pillow 13):
/// Keys cubic with a = -0.5, support widened by the scale when shrinking
/// (antialiasing), weights normalised in double precision then rounded to
/// 22-bit fixed point, two passes through an 8-bit intermediate image. The
/// pass order matters for the rounding: Pillow 13 runs the vertical pass first
/// when the height shrinks by more than twice as many pixels as the width,
/// horizontal first otherwise (Pillow 12 and older: always horizontal first).
enum PillowBicubic {
    static let precisionBits = 22

    struct Coefficients {
        var start: [Int]
        var count: [Int]
        var weights: [Int32]  // `width` per output pixel
        var width: Int
    }

    static func filter(_ value: Double) -> Double {
        let a = -0.5
        let x = abs(value)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    static func coefficients(input: Int, output: Int) -> Coefficients {
        let scale = Double(input) / Double(output)
        let filterScale = max(scale, 1)
        let support = 2 * filterScale
        let width = Int(support.rounded(.up)) * 2 + 1
        var result = Coefficients(start: [], count: [], weights: [Int32](repeating: 0, count: output * width), width: width)
        var k = [Double](repeating: 0, count: width)
        for xx in 0..<output {
            let center = (Double(xx) + 0.5) * scale
            let inverse = 1 / filterScale
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(input, Int(center + support + 0.5)) - xmin
            var total = 0.0
            for x in 0..<xmax {
                let w = filter((Double(x + xmin) - center + 0.5) * inverse)
                k[x] = w
                total += w
            }
            for x in 0..<xmax {
                let w = total != 0 ? k[x] / total : k[x]
                let fixed = w * Double(1 << precisionBits)
                result.weights[xx * width + x] = Int32((w < 0 ? fixed - 0.5 : fixed + 0.5).rounded(.towardZero))
            }
            result.start.append(xmin)
            result.count.append(max(0, xmax))
        }
        return result
    }

    static func resize(_ image: RGBImage, width: Int, height: Int) throws(ImagingError) -> RGBImage {
        var current = image
        let shrinkH = image.height - height, shrinkW = image.width - width
        let verticalFirst = shrinkH > 0 && shrinkH > 2 * shrinkW
        for horizontal in verticalFirst ? [false, true] : [true, false] {
            if horizontal, width != current.width {
                current = try pass(current, coefficients(input: current.width, output: width), horizontal: true)
            } else if !horizontal, height != current.height {
                current = try pass(current, coefficients(input: current.height, output: height), horizontal: false)
            }
        }
        return current
    }

    private static func pass(_ image: RGBImage, _ coefficients: Coefficients, horizontal: Bool) throws(ImagingError) -> RGBImage {
        let outW = horizontal ? coefficients.start.count : image.width
        let outH = horizontal ? image.height : coefficients.start.count
        var out = [UInt8](repeating: 0, count: outW * outH * 3)
        let half = Int64(1) << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            coefficients.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<outH {
                        for x in 0..<outW {
                            let o = horizontal ? x : y
                            let start = coefficients.start[o], n = coefficients.count[o]
                            let w = weights.baseAddress! + o * coefficients.width
                            var r = half, g = half, b = half
                            for i in 0..<n {
                                let s = horizontal ? (y * image.width + start + i) * 3 : ((start + i) * image.width + x) * 3
                                let k = Int64(w[i])
                                r += Int64(src[s]) * k
                                g += Int64(src[s + 1]) * k
                                b += Int64(src[s + 2]) * k
                            }
                            let d = (y * outW + x) * 3
                            dst[d] = clamp8(r >> Int64(precisionBits))
                            dst[d + 1] = clamp8(g >> Int64(precisionBits))
                            dst[d + 2] = clamp8(b >> Int64(precisionBits))
                        }
                    }
                }
            }
        }
        return try RGBImage(width: outW, height: outH, pixels: out)
    }

    @inline(__always)
    private static func clamp8(_ value: Int64) -> UInt8 { UInt8(clamping: min(255, max(0, value))) }
}
