/// llama.cpp's per-code-point flags (`unicode_cpt_flags`): one Unicode category bit and
/// llama.cpp's own whitespace bit, from the generated table. BMP code points are answered
/// from a flat array, the rest by binary search.
struct LlamaCodepointFlags: Sendable {
    static let shared = LlamaCodepointFlags()

    static let undefined: UInt16 = 0x01
    static let number: UInt16 = 0x02
    static let letter: UInt16 = 0x04
    static let separator: UInt16 = 0x08
    static let accentMark: UInt16 = 0x10
    static let punctuation: UInt16 = 0x20
    static let symbol: UInt16 = 0x40
    static let control: UInt16 = 0x80
    static let categories: UInt16 = 0xFF
    static let whitespace: UInt16 = 0x100

    private let bmp: [UInt16]
    private let astralStarts: [UInt32]
    private let astralFlags: [UInt16]

    private init() {
        var starts: [UInt32] = []
        var flags: [UInt16] = []
        for field in TableText.unwrapped(GeneratedLlamaUnicodeTables.flags).split(separator: UInt8(ascii: ",")) {
            let colon = field.firstIndex(of: UInt8(ascii: ":"))!
            starts.append(TableText.hex(field[field.startIndex..<colon]))
            flags.append(UInt16(TableText.hex(field[(colon + 1)...])))
        }
        var table = [UInt16](repeating: 0, count: 0x10000)
        for (k, start) in starts.enumerated() where start < 0x10000 {
            let end = k + 1 < starts.count ? min(starts[k + 1], 0x10000) : 0x10000
            for c in Int(start)..<Int(end) { table[c] = flags[k] }
        }
        bmp = table
        astralStarts = starts
        astralFlags = flags
    }

    /// Flags of a code point; out-of-range values are `undefined`, as in llama.cpp.
    @inline(__always)
    func callAsFunction(_ c: UInt32) -> UInt16 {
        if c < 0x10000 { return bmp[Int(c)] }
        if c >= 0x110000 { return Self.undefined }
        // Last start <= c.
        var lo = 0, hi = astralStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if astralStarts[mid] <= c { lo = mid + 1 } else { hi = mid }
        }
        return astralFlags[lo - 1]
    }
}
