/// Parsing of the generated tables (see scripts/tokenizer/generate_tables.py).
/// They are compact hex text; newlines and spaces inside a field are wrapping only.
enum TableText {
    /// The table with its line wrapping removed.
    static func unwrapped(_ text: String) -> [UInt8] {
        text.utf8.filter { $0 != 0x0A }
    }

    /// "lo-hi,lo,..." -> closed ranges, in the file's (sorted) order.
    static func ranges(_ text: String) -> [ClosedRange<UInt32>] {
        let bytes = unwrapped(text)
        return bytes.split(separator: UInt8(ascii: ",")).map { field in
            let parts = field.split(separator: UInt8(ascii: "-"))
            let lo = hex(parts[0])
            return lo...(parts.count > 1 ? hex(parts[1]) : lo)
        }
    }

    /// "K:V V;K:V" -> [K: [V]] (hex code points); V may be empty.
    static func mapping(_ text: String) -> [(UInt32, [UInt32])] {
        entries(text).map { key, value in (hex(key), hexList(value)) }
    }

    /// "key:value;..." split into raw fields, keeping the spaces inside values.
    static func entries(_ text: String) -> [(ArraySlice<UInt8>, ArraySlice<UInt8>)] {
        let bytes = text.utf8.filter { $0 != 0x0A }
        return bytes.split(separator: UInt8(ascii: ";")).map { entry in
            let colon = entry.firstIndex(of: UInt8(ascii: ":"))!
            return (entry[entry.startIndex..<colon], entry[(colon + 1)...])
        }
    }

    static func hex(_ digits: some Collection<UInt8>) -> UInt32 {
        var value: UInt32 = 0
        for d in digits {
            value = value << 4 | UInt32(d <= 0x39 ? d - 0x30 : (d | 0x20) - 0x61 + 10)
        }
        return value
    }

    static func hexList(_ text: some Collection<UInt8>) -> [UInt32] {
        text.split(separator: 0x20).map { hex($0) }
    }
}

/// A set of code points: a bitmap for the Basic Multilingual Plane (where
/// nearly all text lives) and binary search over ranges above it.
struct ScalarSet: Sendable {
    private var bmp = [UInt64](repeating: 0, count: 1024)
    private var lows: [UInt32] = []
    private var highs: [UInt32] = []

    init(_ ranges: [ClosedRange<UInt32>]) {
        for range in ranges {
            if range.lowerBound < 0x10000 {
                for c in range.lowerBound...min(range.upperBound, 0xFFFF) {
                    bmp[Int(c >> 6)] |= 1 << UInt64(c & 63)
                }
            }
            if range.upperBound >= 0x10000 {
                lows.append(max(range.lowerBound, 0x10000))
                highs.append(range.upperBound)
            }
        }
    }

    init(table: String) {
        self.init(TableText.ranges(table))
    }

    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 0x10000 { return bmp[Int(c >> 6)] & (1 << UInt64(c & 63)) != 0 }
        var lo = 0, hi = lows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if highs[mid] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < lows.count && lows[lo] <= c
    }
}
