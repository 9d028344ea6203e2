import Foundation
public import Imaging
import ModelFiles

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

    public func validate() -> String? {
        if imageMean.count != 3 || imageStd.count != 3 { return "image_mean and image_std need 3 values" }
        if imageStd.contains(where: { !($0 > 0) }) { return "image_std values must be positive" }
        let side = ConfigurationLimits.imageSide
        if let problem = ConfigurationLimits.problem([
            "size.shortest_edge": (shortestEdge, side), "crop_size.height": (cropHeight, side), "crop_size.width": (cropWidth, side),
        ]) { return problem }
        if !rescaleFactor.isFinite || (imageMean + imageStd).contains(where: { !$0.isFinite }) {
            return "rescale_factor, image_mean and image_std must be finite numbers"
        }
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

    /// The longest side an image is resized to (a 4096-pixel short side at an aspect ratio of 1:16).
    public static let maximumResizedSide = 1 << 16

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
    ///
    /// Resize, crop, rescale and normalise are fused: only the pixels inside the
    /// crop window are resampled, and the second resampling pass writes the
    /// normalised floats directly, so the only intermediate is the 8-bit image
    /// between Pillow's two passes.
    public func process(_ image: RGBImage, into output: UnsafeMutablePointer<Float>) throws(CLIPError) {
        let c = configuration
        var resizedWidth = image.width, resizedHeight = image.height
        if c.doResize {
            let target = Self.resizedSize(width: image.width, height: image.height, shortestEdge: c.shortestEdge)
            // The long side grows with the aspect ratio; the resampling coefficients are sized by it.
            guard target.width > 0, target.height > 0,
                  max(target.width, target.height) <= Self.maximumResizedSide else {
                throw .invalidInput("a \(image.width)x\(image.height) image cannot be resized to a \(c.shortestEdge)-pixel short side (at most \(Self.maximumResizedSide) pixels on the long side)")
            }
            (resizedWidth, resizedHeight) = target
        } else if !c.doCenterCrop, image.width != c.shortestEdge || image.height != c.shortestEdge {
            throw .invalidInput("without resize or crop the image must already be \(c.shortestEdge)x\(c.shortestEdge)")
        }
        let outH = outputHeight, outW = outputWidth, plane = outH * outW
        // Center crop offsets as transformers computes them (floor division); outside the
        // resized image the crop is zero padding, normalised like any other pixel.
        let top = c.doCenterCrop ? floorDivide(resizedHeight - outH, 2) : 0
        let left = c.doCenterCrop ? floorDivide(resizedWidth - outW, 2) : 0
        let scale = c.doRescale ? c.rescaleFactor : 1
        let mean = c.doNormalize ? c.imageMean : [0, 0, 0]
        let std = c.doNormalize ? c.imageStd : [1, 1, 1]
        for channel in 0..<3 {
            let padding = (0 * scale - mean[channel]) / std[channel]
            (output + channel * plane).update(repeating: padding, count: plane)
        }
        let rows = max(0, top)..<min(resizedHeight, top + outH)
        let columns = max(0, left)..<min(resizedWidth, left + outW)
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let write = { (x: Int, y: Int, r: UInt8, g: UInt8, b: UInt8) in
            let o = (y - top) * outW + (x - left)
            output[o] = (Float(r) * scale - mean[0]) / std[0]
            output[plane + o] = (Float(g) * scale - mean[1]) / std[1]
            output[2 * plane + o] = (Float(b) * scale - mean[2]) / std[2]
        }
        do {
            try PillowBicubic.resize(image, width: resizedWidth, height: resizedHeight, rows: rows, columns: columns, write: write)
        } catch {
            throw .invalidInput(error.description)
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

    /// The whole resized image.
    static func resize(_ image: RGBImage, width: Int, height: Int) throws(ImagingError) -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        try out.withUnsafeMutableBufferPointer { (buffer) throws(ImagingError) in
            let pixels = buffer.baseAddress!
            try resize(image, width: width, height: height, rows: 0..<height, columns: 0..<width) { x, y, r, g, b in
                let o = (y * width + x) * 3
                (pixels[o], pixels[o + 1], pixels[o + 2]) = (r, g, b)
            }
        }
        return try RGBImage(width: width, height: height, pixels: out)
    }

    /// Resizes to `width x height` but computes only the output pixels in
    /// `rows x columns`, handing each to `write(x, y, r, g, b)`. The first pass
    /// computes only what the second needs; the results are bit-identical to
    /// cropping Pillow's full resize.
    static func resize(
        _ image: RGBImage, width: Int, height: Int, rows: Range<Int>, columns: Range<Int>,
        write: (Int, Int, UInt8, UInt8, UInt8) -> Void
    ) throws(ImagingError) {
        guard width > 0, height > 0, rows.lowerBound >= 0, rows.upperBound <= height,
              columns.lowerBound >= 0, columns.upperBound <= width else {
            throw .invalidSize("cannot resize \(image.width)x\(image.height) to \(width)x\(height) rows \(rows) columns \(columns)")
        }
        let horizontal = width == image.width ? nil : coefficients(input: image.width, output: width)
        let vertical = height == image.height ? nil : coefficients(input: image.height, output: height)
        let shrinkH = image.height - height, shrinkW = image.width - width
        let verticalFirst = shrinkH > 0 && shrinkH > 2 * shrinkW
        // Source rows (or columns) the second pass reads, so the first pass computes only those.
        func span(_ c: Coefficients?, _ outputs: Range<Int>) -> Range<Int> {
            guard let c else { return outputs }
            let low = outputs.map { c.start[$0] }.min()!, high = outputs.map { c.start[$0] + c.count[$0] }.max()!
            return low..<max(low, high)
        }
        if verticalFirst {
            let needColumns = span(horizontal, columns)
            let middle = try pass(image, vertical, along: .vertical, outputs: rows, across: needColumns)
            emit(middle, horizontal, along: .horizontal, outputs: columns, across: 0..<rows.count,
                 sourceOffset: needColumns.lowerBound) { x, y, r, g, b in write(x, rows.lowerBound + y, r, g, b) }
        } else {
            let needRows = span(vertical, rows)
            let middle = try pass(image, horizontal, along: .horizontal, outputs: columns, across: needRows)
            emit(middle, vertical, along: .vertical, outputs: rows, across: 0..<columns.count,
                 sourceOffset: needRows.lowerBound) { x, y, r, g, b in write(columns.lowerBound + x, y, r, g, b) }
        }
    }

    enum Axis { case horizontal, vertical }

    /// One pass into a new 8-bit image holding `outputs` along the axis and `across` the other way.
    private static func pass(
        _ image: RGBImage, _ coefficients: Coefficients?, along axis: Axis, outputs: Range<Int>, across: Range<Int>
    ) throws(ImagingError) -> RGBImage {
        let w = axis == .horizontal ? outputs.count : across.count
        let h = axis == .horizontal ? across.count : outputs.count
        var out = [UInt8](repeating: 0, count: w * h * 3)
        out.withUnsafeMutableBufferPointer { buffer in
            let pixels = buffer.baseAddress!
            emit(image, coefficients, along: axis, outputs: outputs, across: across, sourceOffset: 0) { x, y, r, g, b in
                let (ox, oy) = axis == .horizontal ? (x - outputs.lowerBound, y - across.lowerBound)
                                                   : (x - across.lowerBound, y - outputs.lowerBound)
                let o = (oy * w + ox) * 3
                (pixels[o], pixels[o + 1], pixels[o + 2]) = (r, g, b)
            }
        }
        return try RGBImage(width: max(1, w), height: max(1, h), pixels: w * h == 0 ? [0, 0, 0] : out)
    }

    /// Resamples along one axis. `outputs` are output indices along the axis; `across` are
    /// line indices the other way (in `image`'s coordinates). Source positions along the axis
    /// are shifted by `sourceOffset` (the first line the previous pass kept). Without
    /// coefficients the axis is copied.
    private static func emit(
        _ image: RGBImage, _ coefficients: Coefficients?, along axis: Axis, outputs: Range<Int>, across: Range<Int>,
        sourceOffset: Int, write: (Int, Int, UInt8, UInt8, UInt8) -> Void
    ) {
        let half = Int64(1) << (precisionBits - 1)
        let stepAlong = axis == .horizontal ? 3 : image.width * 3
        let stepAcross = axis == .horizontal ? image.width * 3 : 3
        image.pixels.withUnsafeBufferPointer { src in
            for line in across {
                let lineBase = line * stepAcross
                for o in outputs {
                    let (x, y) = axis == .horizontal ? (o, line) : (line, o)
                    guard let c = coefficients else {
                        let s = lineBase + (o - sourceOffset) * stepAlong
                        write(x, y, src[s], src[s + 1], src[s + 2])
                        continue
                    }
                    let start = c.start[o] - sourceOffset, n = c.count[o]
                    var r = half, g = half, b = half
                    c.weights.withUnsafeBufferPointer { weights in
                        let w = weights.baseAddress! + o * c.width
                        var s = lineBase + start * stepAlong
                        for i in 0..<n {
                            let k = Int64(w[i])
                            r += Int64(src[s]) * k
                            g += Int64(src[s + 1]) * k
                            b += Int64(src[s + 2]) * k
                            s += stepAlong
                        }
                    }
                    write(x, y, clamp8(r >> Int64(precisionBits)), clamp8(g >> Int64(precisionBits)), clamp8(b >> Int64(precisionBits)))
                }
            }
        }
    }

    @inline(__always)
    static func clamp8(_ value: Int64) -> UInt8 { UInt8(clamping: min(255, max(0, value))) }
}

/// Python's floor division, for crop offsets that can be negative (padding).
func floorDivide(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
