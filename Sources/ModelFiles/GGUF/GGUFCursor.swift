/// Reads the little-endian fields of a GGUF header, checking every read
/// against the end of the file first. `context` names what is being read
/// ("key 'general.name'", "tensor 'output.weight'") so that a truncated or
/// hostile file gives an error saying where it went wrong.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset = 0
    var context = "the header"

    /// Nested arrays deeper than this are refused: the reader recurses per
    /// level, and no real file nests more than twice.
    static let maximumNesting = 8

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    func error(_ reason: String) -> ModelFileError {
        .malformed(path: path, reason: "\(context): \(reason)")
    }

    /// Takes `count` bytes, or fails naming the offset and what was expected.
    mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw error("\(what()) needs \(count) bytes at offset \(offset) but the file ends at \(bytes.count) (truncated?)")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return slice
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(ModelFileError) -> T {
        let raw = try take(MemoryLayout<T>.size, what())
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    mutating func u32(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt32 { try read(UInt32.self, what()) }
    mutating func u64(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt64 { try read(UInt64.self, what()) }

    /// A count or length that must fit what is left of the file at `minimumSize` bytes
    /// per item: this is what stops a hostile count from allocating before failing.
    mutating func count(_ what: @autoclosure () -> String, minimumSize: Int) throws(ModelFileError) -> Int {
        let value = try u64(what())
        guard let count = Int(exactly: value), minimumSize == 0 || count <= remaining / minimumSize else {
            throw error("\(what()) \(value) does not fit the \(remaining) bytes left in the file")
        }
        return count
    }

    /// A length-prefixed string. Names (keys, tensors) must be valid UTF-8;
    /// values are decoded leniently (a tokenizer's vocabulary may hold byte
    /// sequences that are not valid on their own).
    mutating func string(_ what: @autoclosure () -> String, strict: Bool) throws(ModelFileError) -> String {
        let length = try count("\(what()) length", minimumSize: 1)
        let raw = try take(length, what())
        if strict {
            guard let text = String(validating: raw, as: UTF8.self) else { throw error("\(what()) is not valid UTF-8") }
            return text
        }
        return String(decoding: raw, as: UTF8.self)
    }

    mutating func valueType(_ what: @autoclosure () -> String) throws(ModelFileError) -> GGUFValueType {
        let raw = try u32(what())
        guard let type = GGUFValueType(rawValue: raw) else { throw error("unknown value type \(raw)") }
        return type
    }

    mutating func value(of type: GGUFValueType, depth: Int = 0) throws(ModelFileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, "a uint8"))
        case .int8: return .int8(try read(Int8.self, "an int8"))
        case .uint16: return .uint16(try read(UInt16.self, "a uint16"))
        case .int16: return .int16(try read(Int16.self, "an int16"))
        case .uint32: return .uint32(try read(UInt32.self, "a uint32"))
        case .int32: return .int32(try read(Int32.self, "an int32"))
        case .uint64: return .uint64(try read(UInt64.self, "a uint64"))
        case .int64: return .int64(try read(Int64.self, "an int64"))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, "a float32")))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, "a float64")))
        case .bool:
            let raw = try read(UInt8.self, "a bool")
            guard raw <= 1 else { throw error("bool value \(raw) is neither 0 nor 1") }
            return .bool(raw == 1)
        case .string: return .string(try string("string value", strict: false))
        case .array:
            guard depth < Self.maximumNesting else { throw error("arrays nested more than \(Self.maximumNesting) deep") }
            let element = try valueType("array element type")
            let count = try count("array length", minimumSize: element.minimumSize)
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try value(of: element, depth: depth + 1)) }
            return .array(element, values)
        }
    }

    /// Moves to the next multiple of `alignment` (a power of two); may point past the end.
    mutating func align(to alignment: Int) throws(ModelFileError) {
        let (padded, overflow) = offset.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw error("offset overflows") }
        offset = padded & ~(alignment - 1)
    }
}
