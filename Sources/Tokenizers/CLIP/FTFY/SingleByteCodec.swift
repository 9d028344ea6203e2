/// One of Python's single-byte codecs as ftfy uses it (including ftfy's "sloppy"
/// Windows codecs, which map undefined bytes to the Latin-1 character and byte
/// 0x1A to U+FFFD).
struct SingleByteCodec: Sendable {
    let name: String
    /// Character for each byte; nil where the codec leaves the byte undefined.
    let decodeTable: [UInt32?]
    /// Characters of bytes 0x80-0xFF and 0x1A back to their byte.
    private let encodeTable: [UInt32: UInt8]

    init(name: String, decode: [UInt32?]) {
        precondition(decode.count == 256, "generated codec table must have 256 entries")
        self.name = name
        decodeTable = decode
        var encode: [UInt32: UInt8] = [:]
        for byte in Array(0x80...0xFF) + [0x1A] {
            if let c = decode[byte] { encode[c] = UInt8(byte) }
        }
        encodeTable = encode
    }

    var isSloppy: Bool { name.hasPrefix("sloppy") }

    /// `chardata.possible_encoding`: every character is ASCII (other than 0x1A) or
    /// the decoding of one of the bytes 0x80-0xFF or 0x1A.
    func canEncode(_ text: [UInt32]) -> Bool {
        text.allSatisfy { ($0 < 0x80 && $0 != 0x1A) || encodeTable[$0] != nil }
    }

    /// `text.encode(codec)` for text that `canEncode` accepted.
    func encode(_ text: [UInt32]) -> [UInt8] {
        text.map { c in encodeTable[c] ?? UInt8(c) }
    }

    /// `bytes.decode(codec)` in strict mode: nil if any byte is undefined.
    func decode(_ bytes: [UInt8]) -> [UInt32]? {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            guard let c = decodeTable[Int(byte)] else { return nil }
            out.append(c)
        }
        return out
    }
}
