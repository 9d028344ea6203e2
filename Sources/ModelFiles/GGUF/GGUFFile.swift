/// A memory-mapped GGUF file (versions 2 and 3; gguf.md in the ggml repository).
///
/// The whole header is parsed and validated on open: every count, length,
/// dimension and offset is checked against the file size with
/// overflow-checked arithmetic before it is used, so a truncated, corrupt or
/// hostile file is an error naming the file and the key or tensor, never a
/// crash or a huge allocation. Tensor data stays in the mapping. A tensor of
/// a type Sightline does not know is kept (the file can still be inspected)
/// and only fails when it is used.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Keys in file order, and their values.
    public let keys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataStart: Int
    private let index: [String: Int]
    let file: MappedFile

    /// "GGUF" read as a little-endian uint32.
    static let magic: UInt32 = 0x4655_4747
    static let defaultAlignment = 32
    /// ggml's limit (GGML_MAX_DIMS).
    static let maximumDimensions = 4

    public init(path: String) throws(ModelFileError) {
        let file = try MappedFile(path: path)
        self.path = path
        self.file = file
        var cursor = GGUFCursor(bytes: file.bytes, path: path)

        let magic = try cursor.u32("the magic number")
        guard magic == Self.magic else {
            throw .malformed(path: path, reason: "no GGUF magic (found 0x\(String(magic, radix: 16)))")
        }
        let version = try cursor.u32("the version")
        guard version == 2 || version == 3 else {
            let swapped = version.byteSwapped
            let hint = swapped == 2 || swapped == 3 ? " (a big-endian file, which is not supported)" : ""
            throw .malformed(path: path, reason: "GGUF version \(version) is not supported (2 and 3 are)\(hint)")
        }
        self.version = version
        // A tensor info takes at least 8 (name length) + 4 (dims) + 8 + 4 (type) + 8 (offset) bytes,
        // a key/value at least 8 + 4 (type) + 1.
        let tensorCount = try cursor.count("tensor count", minimumSize: 32)
        let keyCount = try cursor.count("metadata key count", minimumSize: 13)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(keyCount)
        for k in 0..<keyCount {
            cursor.context = "metadata key #\(k)"
            let key = try cursor.string("the key", strict: true)
            cursor.context = "key '\(key)'"
            guard metadata[key] == nil else { throw cursor.error("appears twice") }
            let type = try cursor.valueType("the value type")
            metadata[key] = try cursor.value(of: type)
            keys.append(key)
        }
        self.keys = keys
        self.metadata = metadata

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard case .uint32(let raw) = value, raw > 0, raw & (raw - 1) == 0, raw <= 1 << 20 else {
                throw .malformed(path: path, reason: "key 'general.alignment': \(value) is not a uint32 power of two")
            }
            alignment = Int(raw)
        }
        self.alignment = alignment

        var infos: [(name: String, dimensions: [Int], type: UInt32, offset: Int)] = []
        infos.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        for t in 0..<tensorCount {
            cursor.context = "tensor #\(t)"
            let name = try cursor.string("the name", strict: true)
            cursor.context = "tensor '\(name)'"
            guard index[name] == nil else { throw cursor.error("appears twice") }
            let rank = try cursor.u32("the number of dimensions")
            guard rank >= 1, rank <= Self.maximumDimensions else {
                throw cursor.error("\(rank) dimensions (1...\(Self.maximumDimensions) allowed)")
            }
            var dimensions: [Int] = []
            var elements = 1
            for d in 0..<Int(rank) {
                let raw = try cursor.u64("dimension \(d)")
                guard let size = Int(exactly: raw), case (let product, false) = elements.multipliedReportingOverflow(by: size) else {
                    throw cursor.error("dimensions overflow at dimension \(d) (\(raw))")
                }
                dimensions.append(size)
                elements = product
            }
            let type = try cursor.u32("the type")
            let rawOffset = try cursor.u64("the data offset")
            guard let offset = Int(exactly: rawOffset), offset % alignment == 0 else {
                throw cursor.error("data offset \(rawOffset) is not a multiple of the alignment \(alignment)")
            }
            index[name] = infos.count
            infos.append((name, dimensions, type, offset))
        }

        cursor.context = "the data section"
        try cursor.align(to: alignment)
        dataStart = cursor.offset
        let dataSize = file.bytes.count - min(dataStart, file.bytes.count)
        if !infos.isEmpty && dataStart > file.bytes.count {
            throw .malformed(path: path, reason: "the data section would start at \(dataStart), past the end of the \(file.bytes.count)-byte file (truncated?)")
        }

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(infos.count)
        for info in infos {
            var byteCount: Int?
            if let type = GGMLType(rawValue: info.type) {
                guard info.dimensions[0] % type.blockSize == 0 else {
                    throw .badTensor(path: path, tensor: info.name,
                                     reason: "row length \(info.dimensions[0]) is not a multiple of the \(type) block size \(type.blockSize)")
                }
                var bytes = type.rowBytes(info.dimensions[0])
                for size in info.dimensions.dropFirst() {
                    bytes = bytes.flatMap { b in
                        let (product, overflow) = b.multipliedReportingOverflow(by: size)
                        return overflow ? nil : product
                    }
                }
                guard let bytes else { throw .badTensor(path: path, tensor: info.name, reason: "\(type) \(info.dimensions) overflows") }
                byteCount = bytes
            }
            // Unknown types: only the start can be checked; the size is unknown.
            let end = info.offset.addingReportingOverflow(byteCount ?? 0)
            guard info.offset <= dataSize, !end.overflow, end.partialValue <= dataSize else {
                throw .badTensor(path: path, tensor: info.name,
                                 reason: "data at offset \(info.offset) (+\(byteCount ?? 0) bytes) falls outside the \(dataSize)-byte data section (truncated?)")
            }
            tensors.append(GGUFTensorInfo(name: info.name, dimensions: info.dimensions, rawType: info.type,
                                          offset: info.offset, byteCount: byteCount))
        }
        let ordered = tensors.filter { ($0.byteCount ?? 0) > 0 }.sorted { $0.offset < $1.offset }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.offset < previous.offset + previous.byteCount! {
            throw .badTensor(path: path, tensor: next.name, reason: "its data overlaps tensor '\(previous.name)'")
        }
        self.tensors = tensors
        self.index = index
    }

    public var tensorNames: [String] { tensors.map(\.name) }

    public func info(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// A tensor ready for use: its known type and its bytes inside the mapping.
    public func tensor(_ name: String) throws(ModelFileError) -> GGUFTensor {
        guard let info = info(name) else { throw .missingTensor(path: path, tensor: name) }
        guard let type = info.type, let byteCount = info.byteCount else {
            throw .unsupportedType(path: path, tensor: name, type: "ggml type \(info.rawType)")
        }
        let start = dataStart + info.offset
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + byteCount)])
        return GGUFTensor(name: name, type: type, dimensions: info.dimensions, bytes: bytes, owner: file)
    }
}

/// A tensor's data in place in the mapping, with its type and dimensions.
/// Rows are `dimensions[0]` values each; `rowBytes` apart.
public struct GGUFTensor: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    public let dimensions: [Int]
    public let bytes: UnsafeRawBufferPointer
    /// Keeps the mapping alive.
    public let owner: AnyObject

    /// `bytes` must hold exactly the tensor (as `GGUFFile.tensor` guarantees).
    public init(name: String, type: GGMLType, dimensions: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 >= 0 }, "a tensor has at least one non-negative dimension")
        precondition(type.rowBytes(dimensions[0]).map { $0 * dimensions.dropFirst().reduce(1, *) } == bytes.count,
                     "the bytes hold exactly the tensor's rows")
        self.name = name
        self.type = type
        self.dimensions = dimensions
        self.bytes = bytes
        self.owner = owner
    }

    public var columns: Int { dimensions[0] }
    public var rows: Int { dimensions.dropFirst().reduce(1, *) }
    public var rowBytes: Int { type.rowBytes(columns)! }
    public var shape: [Int] { dimensions.reversed() }
}
