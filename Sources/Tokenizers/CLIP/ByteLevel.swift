/// GPT-2/CLIP's byte-to-unicode table: every byte gets a printable character so
/// that BPE tokens are text. Printable Latin-1 bytes stand for themselves; the
/// others (controls, space, 0x7F-0xA0, 0xAD) map to U+0100 onwards, in byte order.
enum ByteLevel {
    /// The bytes in the reference's order (printable ones first), which is also the
    /// order of the first 256 vocabulary entries.
    static let byteOrder: [UInt8] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        let rest = (0...255).filter { !printable.contains($0) }
        return (printable + rest).map { UInt8($0) }
    }()

    /// Character of each byte.
    static let scalarOfByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 0x100
        for byte in 0...255 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte a character stands for, if it is one of the 256.
    static func byte(of scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if (0x21...0x7E).contains(v) || (0xA1...0xAC).contains(v) || (0xAE...0xFF).contains(v) { return UInt8(v) }
        guard v >= 0x100 && v < 0x144 else { return nil }
        return nonPrintable[Int(v - 0x100)]
    }

    private static let nonPrintable: [UInt8] = (0...255).filter {
        !((0x21...0x7E).contains($0) || (0xA1...0xAC).contains($0) || (0xAE...0xFF).contains($0))
    }.map { UInt8($0) }
}
