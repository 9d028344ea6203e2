import CLIP
import Foundation
public import Kernels
import ModelFiles

/// llama.cpp's mmproj file, as its converters write it for LLaVA (tools/mtmd/legacy-models/
/// convert_image_encoder_to_gguf.py and convert_hf_to_gguf.py --mmproj) and clip.cpp reads it.
extension LLaVALoader {
    /// The image encoder in an mmproj GGUF. The language model is a separate GGUF.
    public static func mmproj(path: String, precision: MatmulPrecision = .fp32) throws(LLaVAError) -> LLaVAImageEncoder {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw .weights(error) }
        guard file.architecture == "clip" else {
            throw .invalidConfiguration(path: path, reason: "general.architecture is '\(file.architecture ?? "missing")', an mmproj file says 'clip'")
        }
        let configuration = try mmprojConfiguration(file)
        let lookup: WeightReader.Lookup = { (name, shape) throws(ModelFileError) in
            try floats(file, ggufName(file, forTransformersName: name, hidden: configuration.vision.hiddenSize), shape: shape)
        }
        let tower: CLIPVisionEncoder
        do {
            tower = try CLIPVisionEncoder(
                WeightReader(precision: precision, lookup: lookup), configuration: configuration.vision,
                prefix: "vision_model", postNorm: false)
        } catch {
            throw .vision(error)
        }
        guard let first = file.info("mm.0.weight"), first.dimensions.count == 2 else {
            throw .weights(.missingTensor(path: path, tensor: "mm.0.weight"))
        }
        let projector = try makeProjector(configuration, textWidth: first.dimensions[1], precision: precision) { (layer, shape) throws(ModelFileError) in
            try floats(file, "mm.\(layer * 2).\(shape.count == 2 ? "weight" : "bias")", shape: shape)
        }
        var settings = CLIPPreprocessorConfiguration(imageSize: configuration.vision.imageSize)
        do {
            settings.imageMean = try file.doubles("clip.vision.image_mean").map(Float.init)
            settings.imageStd = try file.doubles("clip.vision.image_std").map(Float.init)
        } catch {
            throw .weights(error)
        }
        if let problem = settings.validate() { throw .invalidConfiguration(path: path, reason: problem) }
        // llama.cpp pads LLaVA-1.5 images to a square with the mean colour.
        let preprocessor = LLaVAImagePreprocessor(clip: CLIPImageProcessor(configuration: settings), padToSquare: true)
        return try LLaVAImageEncoder(configuration: configuration, preprocessor: preprocessor, tower: tower, projector: projector)
    }

    /// The LLaVA configuration `clip.*` metadata describes.
    static func mmprojConfiguration(_ file: GGUFFile) throws(LLaVAError) -> LLaVAConfiguration {
        let path = file.path
        do {
            if file.metadata["clip.has_vision_encoder"] != nil, try !file.bool("clip.has_vision_encoder") {
                throw LLaVAError.invalidConfiguration(path: path, reason: "clip.has_vision_encoder is false: this file has no image encoder")
            }
            let projectorType = file.metadata["clip.projector_type"] == nil ? "mlp" : try file.string("clip.projector_type")
            guard projectorType == "mlp" else { throw LLaVAError.unsupportedProjector(path: path, type: projectorType) }
            if file.info("mm.3.weight") != nil { throw LLaVAError.unsupportedProjector(path: path, type: "mlp_norm (Yi-VL's mm.0-mm.4)") }
            if file.metadata["clip.use_silu"] != nil, try file.bool("clip.use_silu") {
                throw LLaVAError.invalidConfiguration(path: path, reason: "clip.use_silu: SiLU vision encoders are not supported")
            }
            var vision = CLIPVisionConfiguration()
            vision.hiddenSize = try file.int("clip.vision.embedding_length")
            vision.intermediateSize = try file.int("clip.vision.feed_forward_length")
            vision.numHiddenLayers = try file.int("clip.vision.block_count")
            vision.numAttentionHeads = try file.int("clip.vision.attention.head_count")
            vision.imageSize = try file.int("clip.vision.image_size")
            vision.patchSize = try file.int("clip.vision.patch_size")
            vision.layerNormEps = try file.float("clip.vision.attention.layer_norm_epsilon")
            let gelu = file.metadata["clip.use_gelu"] == nil ? false : try file.bool("clip.use_gelu")
            vision.hiddenAct = gelu ? .gelu : .quickGELU
            // The converter keeps the blocks up to the feature layer (block_count) and, in newer files,
            // names it in clip.vision.feature_layer (an index into the hidden states, 0 = embeddings).
            var featureLayer = vision.numHiddenLayers
            if file.metadata["clip.vision.feature_layer"] != nil {
                let layers = try file.ints("clip.vision.feature_layer")
                guard layers.count == 1 else {
                    throw LLaVAError.invalidConfiguration(
                        path: path, reason: "clip.vision.feature_layer \(layers): several feature layers are not supported")
                }
                featureLayer = layers[0]
            }
            let configuration = LLaVAConfiguration(
                vision: vision, featureLayer: featureLayer, featureSelect: .default,
                projector: file.info("mm.2.weight") == nil ? .linear : .mlp2xGELU, projectorActivation: .gelu,
                projectorBias: file.info("mm.0.bias") != nil, imageTokenIndex: nil, padToSquare: true)
            if let problem = configuration.validate() { throw LLaVAError.invalidConfiguration(path: path, reason: problem) }
            return configuration
        } catch let error as LLaVAError {
            throw error
        } catch let error as ModelFileError {
            throw .weights(error)
        } catch {
            throw .invalidInput("\(error)")
        }
    }

    /// The mmproj name of a transformers vision-tower tensor (the converter's renaming). Files from
    /// the legacy converter call fc1 `ffn_down` and fc2 `ffn_up`; as clip.cpp does, that is detected
    /// from the shapes (a `ffn_down` that takes `hidden` inputs is really fc1).
    static func ggufName(_ file: GGUFFile, forTransformersName name: String, hidden: Int) -> String {
        var gguf = "v." + name.dropFirst("vision_model.".count)
            .replacingOccurrences(of: "encoder.layers", with: "blk")
            .replacingOccurrences(of: "embeddings.", with: "")
            .replacingOccurrences(of: "_proj", with: "")
            .replacingOccurrences(of: "self_attn.", with: "attn_")
            .replacingOccurrences(of: "layer_norm", with: "ln")
            .replacingOccurrences(of: "embedding", with: "embd")
            .replacingOccurrences(of: "layrnorm", with: "ln")
        for (fc, up) in [("mlp.fc1", true), ("mlp.fc2", false)] where gguf.contains(fc) {
            let block = gguf.components(separatedBy: ".mlp.")[0]
            let down = file.info(block + ".ffn_down.weight")
            let swapped = down.map { $0.dimensions.first == hidden && $0.dimensions.last != hidden } ?? false
            gguf = gguf.replacingOccurrences(of: fc, with: (up != swapped) ? "ffn_up" : "ffn_down")
        }
        return gguf
    }

    /// A GGUF tensor as float32 with the transformers shape: F32 in place when aligned, F16/BF16
    /// (llama.cpp stores the patch convolution and, in f16 files, every matrix so) expanded once.
    static func floats(_ file: GGUFFile, _ name: String, shape: [Int]) throws(ModelFileError) -> FloatTensor {
        let tensor = try file.tensor(name)
        guard tensor.shape == shape else {
            throw .shapeMismatch(path: file.path, tensor: name, expected: shape, found: tensor.shape)
        }
        guard !tensor.type.isQuantized else {
            throw .unsupportedType(path: file.path, tensor: name, type: "\(tensor.type) (the image encoder runs F32, F16 or BF16 weights)")
        }
        if tensor.type == .f32, let base = tensor.bytes.baseAddress, Int(bitPattern: base) % 4 == 0 {
            return FloatTensor(pointer: base.assumingMemoryBound(to: Float.self), shape: shape, owner: tensor.owner)
        }
        let storage = FloatStorage(count: tensor.rows * tensor.columns)
        QuantizedMatrix(tensor).dequantize(rows: 0..<tensor.rows, into: storage.pointer)
        return FloatTensor(pointer: UnsafePointer(storage.pointer), shape: shape, owner: storage)
    }
}
