/// Python's str.lower(): full Unicode lowercase mapping per code point (so 'İ'
/// becomes "i̇", two scalars) plus CPython's Final_Sigma rule for 'Σ'. Swift's
/// lowercased() works on grapheme clusters and a different Unicode version.
enum PythonLowercase {
    private struct Tables: Sendable {
        var single: [UInt32: UInt32] = [:]
        var multiple: [UInt32: [UInt32]] = [:]
        let caseIgnorable = ScalarSet(table: GeneratedCaseTables.caseIgnorable)
        let cased = ScalarSet(table: GeneratedCaseTables.casedNotIgnorable)

        init() {
            for (key, value) in TableText.mapping(GeneratedCaseTables.lowercase) {
                if value.count == 1 { single[key] = value[0] } else { multiple[key] = value }
            }
        }
    }

    private static let tables = Tables()

    static func lower(_ text: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        let t = tables
        for (i, c) in text.enumerated() {
            if c < 0x80 {
                out.append(c >= 0x41 && c <= 0x5A ? c + 32 : c)
            } else if c == 0x3A3 {
                out.append(isFinalSigma(text, at: i, t) ? 0x3C2 : 0x3C3)
            } else if let mapped = t.single[c] {
                out.append(mapped)
            } else if let mapped = t.multiple[c] {
                out.append(contentsOf: mapped)
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// CPython's handle_capital_sigma: a cased letter before (skipping case-ignorable
    /// ones) and none after.
    private static func isFinalSigma(_ text: [UInt32], at i: Int, _ t: Tables) -> Bool {
        var j = i - 1
        while j >= 0 && t.caseIgnorable.contains(text[j]) { j -= 1 }
        guard j >= 0 && t.cased.contains(text[j]) else { return false }
        j = i + 1
        while j < text.count && t.caseIgnorable.contains(text[j]) { j += 1 }
        return j == text.count || !t.cased.contains(text[j])
    }
}
