public import CLIP
public import Imaging
import Kernels
public import LanguageModel

/// An image's rows in the language model's embedding space, ready to splice into a prompt.
public struct ImageEmbedding: Sendable, Equatable {
    /// [rows, width], row-major.
    public var values: [Float]
    public var rows: Int
    public var width: Int

    public init(values: [Float], rows: Int, width: Int) {
        self.values = values
        self.rows = rows
        self.width = width
    }

    public func row(_ i: Int) -> [Float] { Array(values[(i * width)..<((i + 1) * width)]) }

    /// One language-model input per row.
    public var inputs: [LanguageModelInput] { (0..<rows).map { .embedding(row($0)) } }
}

/// LLaVA's image side: preprocessing, the CLIP vision tower up to the feature layer, the
/// feature selection, the projector, and the optional image-token reduction.
public final class LLaVAImageEncoder: Sendable {
    public let configuration: LLaVAConfiguration
    public let preprocessor: LLaVAImagePreprocessor
    public let tower: CLIPVisionEncoder
    public let projector: LLaVAProjector

    public init(
        configuration: LLaVAConfiguration, preprocessor: LLaVAImagePreprocessor, tower: CLIPVisionEncoder, projector: LLaVAProjector
    ) throws(LLaVAError) {
        let hidden = configuration.vision.hiddenSize
        guard projector.inputWidth == hidden else {
            throw .invalidInput("the projector takes \(projector.inputWidth) features but the vision tower produces \(hidden)")
        }
        guard preprocessor.clip.outputWidth == configuration.vision.imageSize,
              preprocessor.clip.outputHeight == configuration.vision.imageSize else {
            throw .invalidInput("images are cropped to \(preprocessor.clip.outputWidth)x\(preprocessor.clip.outputHeight) but the vision tower takes \(configuration.vision.imageSize)x\(configuration.vision.imageSize)")
        }
        self.configuration = configuration
        self.preprocessor = preprocessor
        self.tower = tower
        self.projector = projector
    }

    /// Checks that the projector feeds this language model.
    public func checkCompatible(with languageModel: LanguageModelConfiguration) throws(LLaVAError) {
        guard projector.outputWidth == languageModel.hiddenSize else {
            throw .projectorWidthMismatch(projector: projector.outputWidth, languageModel: languageModel.hiddenSize)
        }
    }

    /// Image rows the language model receives with `reduction`.
    public func imageRows(reduction: ImageTokenReduction = .none) -> Int {
        reduction.rows(grid: configuration.vision.gridSize, hasClassRow: configuration.featureSelect == .full)
    }

    /// Preprocesses and embeds one picture.
    public func embed(_ image: RGBImage, reduction: ImageTokenReduction = .none) throws(LLaVAError) -> ImageEmbedding {
        try pass(image, reduction: reduction).embedding()
    }

    /// Embeds one preprocessed image ([3, size, size], channels first).
    public func embed(pixels: [Float], reduction: ImageTokenReduction = .none) throws(LLaVAError) -> ImageEmbedding {
        try pass(pixels: pixels, reduction: reduction).embedding()
    }

    /// Preprocesses one picture and starts embedding it a step at a time (`ImagePass`).
    public func pass(_ image: RGBImage, reduction: ImageTokenReduction = .none) throws(LLaVAError) -> ImagePass {
        var pixels = [Float](repeating: 0, count: tower.pixelsPerImage)
        do {
            try pixels.withUnsafeMutableBufferPointer { (buffer) throws(CLIPError) in
                try preprocessor.process(image, into: buffer.baseAddress!)
            }
        } catch {
            throw .vision(error)
        }
        return try pass(pixels: pixels, reduction: reduction)
    }

    /// Starts embedding one preprocessed image a step at a time.
    public func pass(pixels: [Float], reduction: ImageTokenReduction = .none) throws(LLaVAError) -> ImagePass {
        do {
            let tower = try tower.pass(pixels: pixels, layerCount: configuration.visionLayersToRun)
            return ImagePass(encoder: self, tower: tower, reduction: reduction)
        } catch {
            throw .vision(error)
        }
    }

    /// The feature selection, the projector and the reduction on a finished tower pass.
    fileprivate func project(_ output: VisionOutput, reduction: ImageTokenReduction) -> ImageEmbedding {
        let c = configuration, d = c.vision.hiddenSize
        let dropClass = c.featureSelect == .default
        let rows = c.vision.tokens - (dropClass ? 1 : 0)
        let projected = output.lastHiddenState.withUnsafeBufferPointer { hidden in
            projector(hidden.baseAddress! + (dropClass ? d : 0), rows: rows)
        }
        let width = projector.outputWidth
        let reduced = reduction.apply(projected, width: width, grid: c.vision.gridSize, hasClassRow: !dropClass)
        return ImageEmbedding(values: reduced, rows: reduced.count / width, width: width)
    }
}

/// One image's embedding as short steps (the tower's embeddings, then one block per
/// step), so that frame work can run between them; `embedding()` then projects it.
/// Not thread-safe: drive it from one thread at a time.
public final class ImagePass: @unchecked Sendable {
    private let encoder: LLaVAImageEncoder
    private let tower: VisionPass
    private let reduction: ImageTokenReduction

    fileprivate init(encoder: LLaVAImageEncoder, tower: VisionPass, reduction: ImageTokenReduction) {
        self.encoder = encoder
        self.tower = tower
        self.reduction = reduction
    }

    /// Steps of the tower (its blocks plus the embeddings); the projection is part of `embedding()`.
    public var stepCount: Int { tower.stepCount }
    public var isFinished: Bool { tower.isFinished }

    /// Runs the tower's next step.
    public func step() { tower.step() }

    /// The image rows; runs whatever tower steps remain first.
    public func embedding() -> ImageEmbedding { encoder.project(tower.output, reduction: reduction) }
}
