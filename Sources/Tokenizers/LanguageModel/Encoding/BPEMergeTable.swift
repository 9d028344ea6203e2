/// llama.cpp's `bpe_ranks` turned into ids: every text that is a token, a merge part or a
/// merge result gets a piece id (token ids first, then extra ids for texts that are not
/// tokens), so that merging compares integers but follows llama.cpp's text semantics.
struct BPEMergeTable: Sendable {
    /// (left piece << 32 | right piece) -> (rank << 32 | result piece).
    let merges: [UInt64: UInt64]
    /// Piece of the byte-level character of each byte.
    let byteSymbol: [Int32]
    /// Texts of the extra pieces (piece id - token count).
    let extraTexts: [[UInt8]]
    /// Token of each single byte as a one-byte text (llama.cpp's fallback), -1 if none.
    let singleByteToken: [Int32]
    let tokenCount: Int32

    init(vocabulary: LMVocabulary, merges lines: [[UInt8]]) {
        var pieceOf = vocabulary.idOfText
        var extra: [[UInt8]] = []
        let count = Int32(vocabulary.count)
        func piece(_ text: [UInt8]) -> Int32 {
            if let id = pieceOf[text] { return id }
            let id = count + Int32(extra.count)
            extra.append(text)
            pieceOf[text] = id
            return id
        }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(lines.count)
        for (rank, line) in lines.enumerated() {
            // word.find(' ', 1): the first space after the first byte splits the pair.
            guard line.count > 1, let space = line[1...].firstIndex(of: 0x20) else { continue }
            let left = Array(line[..<space]), right = Array(line[(space + 1)...])
            if right.isEmpty { continue }  // can never match a symbol
            let key = UInt64(UInt32(piece(left))) << 32 | UInt64(UInt32(piece(right)))
            if table[key] == nil {  // emplace: the first rank of a repeated pair stays
                table[key] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(piece(left + right)))
            }
        }
        var byteSymbol = [Int32](repeating: 0, count: 256)
        for b in 0..<256 {
            var utf8: [UInt8] = []
            encodeUTF8(CollectionOfOne(ByteLevel.scalarOfByte[b].value), into: &utf8)
            byteSymbol[b] = piece(utf8)
        }
        merges = table
        self.byteSymbol = byteSymbol
        extraTexts = extra
        singleByteToken = (0..<256).map { vocabulary.idOfText[[UInt8($0)]] ?? -1 }
        tokenCount = count
    }
}
