import Imaging
import LLaVA
import Testing

/// The image-token pooling and the pad-to-square step on values worked out by hand.
@Suite("LLaVA image-token pooling and padding")
struct ReductionAndPaddingTests {
    @Test func poolsARaggedGridAndKeepsTheClassRow() throws {
        // Class row [100, -100], then a 3x3 grid whose patch (y, x) is [10y + x, 1].
        var rows: [Float] = [100, -100]
        for y in 0..<3 { for x in 0..<3 { rows += [Float(10 * y + x), 1] } }
        let pooled = try ImageTokenReduction(factor: 2).apply(rows, width: 2, grid: 3, hasClassRow: true)
        // Windows: {0,1,10,11} -> 5.5; {2,12} -> 7; {20,21} -> 20.5; {22} -> 22.
        #expect(pooled == [100, -100, 5.5, 1, 7, 1, 20.5, 1, 22, 1])
        #expect(try ImageTokenReduction(factor: 2).rows(grid: 24, hasClassRow: false) == 144)
        #expect(try ImageTokenReduction(factor: 4).rows(grid: 24, hasClassRow: false) == 36)
        #expect(ImageTokenReduction.none.apply(rows, width: 2, grid: 3, hasClassRow: true) == rows)
    }

    @Test func padsToASquareWithTheColourCentred() throws {
        // 1 wide, 3 high: columns are added left and right ((3 - 1) / 2 = 1 on the left).
        let image = try RGBImage(width: 1, height: 3, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let padded = LLaVAImagePreprocessor.paddedToSquare(image, color: [122, 116, 104])
        #expect(padded.width == 3 && padded.height == 3)
        let fill: [UInt8] = [122, 116, 104]
        #expect(padded.pixels == fill + [1, 2, 3] + fill + fill + [4, 5, 6] + fill + fill + [7, 8, 9] + fill)
        // 4 wide, 1 high: one row above ((4 - 1) / 2 = 1), two below.
        let wide = try RGBImage(width: 4, height: 1, pixels: [UInt8](repeating: 9, count: 12))
        let square = LLaVAImagePreprocessor.paddedToSquare(wide, color: [0, 0, 0])
        #expect(square.pixels == [UInt8](repeating: 0, count: 12) + [UInt8](repeating: 9, count: 12) + [UInt8](repeating: 0, count: 24))
    }
}
