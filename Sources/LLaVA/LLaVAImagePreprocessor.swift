public import CLIP
public import Imaging

/// LLaVA-1.5's image preprocessing: optionally pad the picture to a square with the mean colour
/// (`image_aspect_ratio: pad`; transformers' LlavaImageProcessor `do_pad`; llama.cpp for
/// llava-1.5), then CLIP's resize, center crop and normalisation (Pillow-exact bicubic).
public struct LLaVAImagePreprocessor: Sendable {
    public let clip: CLIPImageProcessor
    public let padToSquare: Bool

    public init(clip: CLIPImageProcessor, padToSquare: Bool) {
        self.clip = clip
        self.padToSquare = padToSquare
    }

    /// The padding colour: the normalisation mean in 8-bit, truncated as transformers does (`int(x * 255)`).
    public var padColor: [UInt8] { clip.configuration.imageMean.map { UInt8(clamping: Int($0 * 255)) } }

    public func process(_ image: RGBImage, into output: UnsafeMutablePointer<Float>) throws(CLIPError) {
        guard image.width >= 2, image.height >= 2 else {
            throw .invalidInput("a \(image.width)x\(image.height) image is too small to embed")
        }
        try clip.process(padToSquare ? Self.paddedToSquare(image, color: padColor) : image, into: output)
    }

    /// The image centred on a square canvas of its longer side filled with `color`.
    public static func paddedToSquare(_ image: RGBImage, color: [UInt8]) -> RGBImage {
        let side = max(image.width, image.height)
        guard image.width != image.height else { return image }
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for i in 0..<(side * side) {
            pixels[3 * i] = color[0]
            pixels[3 * i + 1] = color[1]
            pixels[3 * i + 2] = color[2]
        }
        let top = (side - image.height) / 2, left = (side - image.width) / 2
        image.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<image.height {
                    let from = source.baseAddress! + y * image.stride
                    let to = target.baseAddress! + ((top + y) * side + left) * 3
                    to.update(from: from, count: image.stride)
                }
            }
        }
        // The size and byte count are consistent by construction.
        return (try? RGBImage(width: side, height: side, pixels: pixels)) ?? image
    }
}
