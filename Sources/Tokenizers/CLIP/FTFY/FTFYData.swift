/// ftfy's data tables, parsed once from the generated text.
struct FTFYData: Sendable {
    static let shared = FTFYData()

    /// `chardata.HTML_ENTITIES` keyed by the name between '&' and ';' (ASCII bytes).
    var htmlEntities: [[UInt8]: [UInt32]] = [:]
    /// Python html's `_invalid_charrefs`: numeric references replaced by another character.
    var invalidCharrefs: [UInt32: [UInt32]] = [:]
    /// Python html's `_invalid_codepoints`: numeric references that decode to nothing.
    let invalidCodepoints = ScalarSet(table: GeneratedFTFYTables.invalidCodepoints)
    var widthMap: [UInt32: [UInt32]] = [:]
    var ligatures: [UInt32: [UInt32]] = [:]
    let controlChars = ScalarSet(table: GeneratedFTFYTables.controlChars)
    /// Single-byte codecs in ftfy's CHARMAP_ENCODINGS order.
    var charmapCodecs: [SingleByteCodec] = []
    /// Strict Windows-1252 (undefined bytes fail), used for the Latin-1 -> Windows-1252 fix.
    var windows1252: SingleByteCodec
    let firstOf2 = ScalarSet(table: GeneratedFTFYTables.utf8FirstOf2)
    let firstOf3 = ScalarSet(table: GeneratedFTFYTables.utf8FirstOf3)
    let firstOf4 = ScalarSet(table: GeneratedFTFYTables.utf8FirstOf4)
    let continuation = ScalarSet(table: GeneratedFTFYTables.utf8Continuation)
    let continuationStrict = ScalarSet(table: GeneratedFTFYTables.utf8ContinuationStrict)
    let badness = Badness(table: GeneratedFTFYTables.badness)
    let reDecimal = ScalarSet(table: GeneratedCaseTables.reDecimal)

    private init() {
        for (name, value) in TableText.entries(GeneratedFTFYTables.htmlEntities) {
            htmlEntities[Array(name)] = TableText.hexList(value)
        }
        for (key, value) in TableText.mapping(GeneratedFTFYTables.invalidCharrefs) { invalidCharrefs[key] = value }
        for (key, value) in TableText.mapping(GeneratedFTFYTables.widthMap) { widthMap[key] = value }
        for (key, value) in TableText.mapping(GeneratedFTFYTables.ligatures) { ligatures[key] = value }
        var codecs: [SingleByteCodec] = []
        for (name, table) in TableText.entries(GeneratedFTFYTables.codecs) {
            let decode = table.split(separator: 0x20).map { $0.first == UInt8(ascii: "-") ? nil : TableText.hex($0) }
            codecs.append(SingleByteCodec(name: String(decoding: name, as: UTF8.self), decode: decode))
        }
        windows1252 = codecs.removeLast()
        charmapCodecs = codecs
    }
}
