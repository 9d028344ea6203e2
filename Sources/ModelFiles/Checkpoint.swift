import Foundation

/// The tensors of a Hugging Face checkpoint folder: `model.safetensors`, or
/// shards listed by `model.safetensors.index.json`.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    public let directory: String
    private let shards: [SafetensorsFile]
    private let location: [String: Int]

    public init(directory: String) throws(ModelFileError) {
        self.directory = directory
        let indexPath = directory + "/model.safetensors.index.json"
        let singlePath = directory + "/model.safetensors"
        if FileManager.default.fileExists(atPath: indexPath) {
            let map: [String: String]
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: indexPath))
                guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let weightMap = json["weight_map"] as? [String: String] else {
                    throw ModelFileError.malformed(path: indexPath, reason: "no weight_map object")
                }
                map = weightMap
            } catch let error as ModelFileError {
                throw error
            } catch {
                throw .malformed(path: indexPath, reason: "not valid JSON")
            }
            let names = Array(Set(map.values)).sorted()
            for name in names where name.contains("/") || name.hasPrefix(".") {
                throw .malformed(path: indexPath, reason: "shard name '\(name)' must be a file in the same folder")
            }
            var shards: [SafetensorsFile] = []
            for name in names { shards.append(try SafetensorsFile(path: directory + "/" + name)) }
            var location: [String: Int] = [:]
            for (tensor, shard) in map {
                let index = names.firstIndex(of: shard)!
                guard shards[index].entries[tensor] != nil else {
                    throw .missingTensor(path: shards[index].path, tensor: tensor)
                }
                location[tensor] = index
            }
            self.shards = shards
            self.location = location
        } else {
            let file = try SafetensorsFile(path: singlePath)
            shards = [file]
            location = Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, 0) })
        }
    }

    public var tensorNames: [String] { location.keys.sorted() }

    public func entry(_ name: String) -> SafetensorsEntry? {
        location[name].flatMap { shards[$0].entries[name] }
    }

    /// A tensor as float32, optionally checked against the shape the configuration implies.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(ModelFileError) -> FloatTensor {
        guard let index = location[name] else { throw .missingTensor(path: directory, tensor: name) }
        let tensor = try shards[index].floats(name)
        if let expected, tensor.shape != expected {
            throw .shapeMismatch(path: shards[index].path, tensor: name, expected: expected, found: tensor.shape)
        }
        return tensor
    }
}
