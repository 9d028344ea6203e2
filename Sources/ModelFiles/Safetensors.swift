import Foundation

/// The element types a safetensors file may declare.
public enum SafetensorsDType: String, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }
}

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range inside the data section.
    public let range: Range<Int>
}

/// A memory-mapped `.safetensors` file.
///
/// The header is validated completely on open: its length, every dtype and
/// shape, `dtype size x element count == byte count`, offsets inside the
/// file, and the tensors tiling the data section exactly (no overlap, gap or
/// bytes left over). A corrupt or truncated file is a
/// clear error naming the file and the tensor, never a crash.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let entries: [String: SafetensorsEntry]
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// Headers beyond this size are refused rather than parsed (real ones are well under 10 MB).
    static let maximumHeaderBytes = 100 << 20

    public init(path: String) throws(ModelFileError) {
        let file = try MappedFile(path: path)
        self.path = path
        self.file = file
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .malformed(path: path, reason: "\(bytes.count) bytes is too short") }
        let headerLength = Int(clamping: bytes.loadUnaligned(as: UInt64.self).littleEndian)
        guard headerLength >= 2, headerLength <= Self.maximumHeaderBytes, headerLength <= bytes.count - 8 else {
            throw .malformed(path: path, reason: "header length \(headerLength) does not fit a \(bytes.count)-byte file (truncated?)")
        }
        dataStart = 8 + headerLength
        let header = Data(bytes[8..<dataStart])
        let json: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
                throw ModelFileError.malformed(path: path, reason: "the header is not a JSON object")
            }
            json = object
        } catch let error as ModelFileError {
            throw error
        } catch {
            throw .malformed(path: path, reason: "the header is not valid JSON")
        }
        (entries, metadata) = try Self.parse(json, path: path, dataSize: bytes.count - dataStart)
    }

    private static func parse(
        _ json: [String: Any], path: String, dataSize: Int
    ) throws(ModelFileError) -> ([String: SafetensorsEntry], [String: String]) {
        var entries: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw .malformed(path: path, reason: "__metadata__ is not an object") }
                for (key, item) in map { metadata[key] = item as? String ?? "\(item)" }
                continue
            }
            guard let fields = value as? [String: Any] else { throw .badTensor(path: path, tensor: name, reason: "entry is not an object") }
            guard let typeName = fields["dtype"] as? String else { throw .badTensor(path: path, tensor: name, reason: "no dtype") }
            guard let dtype = SafetensorsDType(rawValue: typeName) else {
                throw .unsupportedType(path: path, tensor: name, type: typeName)
            }
            guard let shapeValues = fields["shape"] as? [Any], let offsets = fields["data_offsets"] as? [Any], offsets.count == 2 else {
                throw .badTensor(path: path, tensor: name, reason: "needs shape and two data_offsets")
            }
            let shape = shapeValues.compactMap { ($0 as? NSNumber).flatMap { exactInt($0) } }
            let bounds = offsets.compactMap { ($0 as? NSNumber).flatMap { exactInt($0) } }
            guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else {
                throw .badTensor(path: path, tensor: name, reason: "shape \(shapeValues) is not a list of non-negative integers")
            }
            guard bounds.count == 2, bounds[0] >= 0, bounds[0] <= bounds[1], bounds[1] <= dataSize else {
                throw .badTensor(path: path, tensor: name, reason: "data_offsets \(offsets) fall outside the \(dataSize)-byte data section (truncated?)")
            }
            var bytes = dtype.byteSize
            for dimension in shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw .badTensor(path: path, tensor: name, reason: "shape \(shape) overflows") }
                bytes = product
            }
            guard bytes == bounds[1] - bounds[0] else {
                throw .badTensor(path: path, tensor: name,
                                 reason: "\(typeName) \(shape) needs \(bytes) bytes but data_offsets give \(bounds[1] - bounds[0])")
            }
            entries[name] = SafetensorsEntry(name: name, dtype: dtype, shape: shape, range: bounds[0]..<bounds[1])
        }
        // The tensors tile the data section exactly, as the format requires (the reference reader
        // checks the same): a gap or bytes left over mean the header length or an offset is wrong,
        // e.g. a header one byte short shifts every tensor by a byte and still "fits".
        let ordered = entries.values.filter { !$0.range.isEmpty }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var covered = 0
        var previous: SafetensorsEntry?
        for entry in ordered {
            if entry.range.lowerBound < covered, let previous {
                throw .badTensor(path: path, tensor: entry.name, reason: "its data overlaps tensor '\(previous.name)'")
            }
            if entry.range.lowerBound > covered {
                throw .badTensor(path: path, tensor: entry.name,
                                 reason: "data starts at \(entry.range.lowerBound) but bytes \(covered)..<\(entry.range.lowerBound) belong to no tensor (wrong header length or offsets?)")
            }
            covered = entry.range.upperBound
            previous = entry
        }
        guard covered == dataSize else {
            throw .malformed(path: path, reason: "the tensors cover \(covered) bytes of the \(dataSize)-byte data section (wrong header length, or bytes appended?)")
        }
        return (entries, metadata)
    }

    /// The raw bytes of a tensor, inside the mapping.
    public func rawBytes(_ entry: SafetensorsEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)])
    }

    /// A tensor as float32. F32 data that is suitably aligned is used in place
    /// (no copy); F16 and BF16 are expanded once into owned memory, since
    /// OpenBLAS computes in float32.
    public func floats(_ name: String) throws(ModelFileError) -> FloatTensor {
        guard let entry = entries[name] else { throw .missingTensor(path: path, tensor: name) }
        let raw = rawBytes(entry)
        let count = entry.shape.reduce(1, *)
        switch entry.dtype {
        case .f32:
            if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 || count == 0 {
                return FloatTensor(pointer: base.assumingMemoryBound(to: Float.self), shape: entry.shape, owner: file)
            }
            return expand(count, entry.shape) { out in
                for i in 0..<count { out[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            }
        case .f16:
            return expand(count, entry.shape) { out in
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
                }
            }
        case .bf16:
            return expand(count, entry.shape) { out in
                for i in 0..<count {
                    let bits = UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16
                    out[i] = Float(bitPattern: bits)
                }
            }
        default:
            throw .unsupportedType(path: path, tensor: name, type: entry.dtype.rawValue)
        }
    }

    private func expand(_ count: Int, _ shape: [Int], _ fill: (UnsafeMutablePointer<Float>) -> Void) -> FloatTensor {
        let storage = FloatStorage(count: count)
        fill(storage.pointer)
        return FloatTensor(pointer: UnsafePointer(storage.pointer), shape: shape, owner: storage)
    }
}

/// An NSNumber that is an exact, non-fractional integer.
private func exactInt(_ number: NSNumber) -> Int? {
    let value = number.doubleValue
    guard value.rounded() == value, abs(value) < 9e15 else { return nil }
    return number.intValue
}
