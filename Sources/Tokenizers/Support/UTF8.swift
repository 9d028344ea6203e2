/// Strict UTF-8 (as Python's "utf-8" codec): no overlong forms, no surrogates,
/// nothing above U+10FFFF. Returns the scalar at `index` and its length in bytes.
func decodeUTF8Scalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
    let lead = bytes[index]
    let length: Int
    var value: UInt32
    var lower: UInt8 = 0x80, upper: UInt8 = 0xBF  // allowed range of the second byte
    switch lead {
    case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
    case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
    case 0xE0: length = 3; value = 0; lower = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(lead & 0x0F)
    case 0xED: length = 3; value = 0x0D; upper = 0x9F
    case 0xF0: length = 4; value = 0; lower = 0x90
    case 0xF1...0xF3: length = 4; value = UInt32(lead & 0x07)
    case 0xF4: length = 4; value = 4; upper = 0x8F
    default: return nil
    }
    guard index + length <= bytes.count else { return nil }
    for k in 1..<length {
        let byte = bytes[index + k]
        if k == 1 {
            guard byte >= lower && byte <= upper else { return nil }
        } else {
            guard byte & 0xC0 == 0x80 else { return nil }
        }
        value = value << 6 | UInt32(byte & 0x3F)
    }
    guard let scalar = Unicode.Scalar(value) else { return nil }
    return (scalar, length)
}

/// Strict decoding of a whole byte string to code points; nil if any byte is invalid.
func decodeUTF8Strict(_ bytes: [UInt8]) -> [UInt32]? {
    var out: [UInt32] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
        guard let (scalar, length) = decodeUTF8Scalar(bytes, at: i) else { return nil }
        out.append(scalar.value)
        i += length
    }
    return out
}

/// UTF-8 bytes of code points (which are always valid scalars here).
func encodeUTF8(_ codePoints: some Sequence<UInt32>, into out: inout [UInt8]) {
    for c in codePoints {
        switch c {
        case 0..<0x80:
            out.append(UInt8(c))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | c >> 6))
            out.append(UInt8(0x80 | c & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | c >> 12))
            out.append(UInt8(0x80 | (c >> 6) & 0x3F))
            out.append(UInt8(0x80 | c & 0x3F))
        default:
            out.append(UInt8(0xF0 | c >> 18))
            out.append(UInt8(0x80 | (c >> 12) & 0x3F))
            out.append(UInt8(0x80 | (c >> 6) & 0x3F))
            out.append(UInt8(0x80 | c & 0x3F))
        }
    }
}
