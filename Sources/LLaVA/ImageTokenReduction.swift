/// Fewer image rows for the language model: the projected patch grid average-pooled in
/// `factor` x `factor` windows (24x24 -> 12x12 = 144 rows with 2, 6x6 = 36 with 4). Windows at
/// a ragged edge average only the patches they cover; a class-token row (`full` select) is kept
/// in front, unpooled.
///
/// Pooling happens after the projector, in the language model's embedding space: the average of
/// rows the language model was trained on stays among such rows (a convex combination), while
/// pooling CLIP features before the non-linear mlp2x_gelu projector gives rows no training image
/// ever produced. The projector is about 6% of the image's cost (LLaVA-1.5-7B: ~24 of ~390
/// GFLOP), so pooling before it would save little; the saving is in the language model's prefill.
public struct ImageTokenReduction: Sendable, Equatable, Hashable {
    /// Window side; 1 keeps every row.
    public let factor: Int

    public init(factor: Int) throws(LLaVAError) {
        guard factor >= 1 else { throw .invalidInput("the image-token pooling factor must be at least 1, got \(factor)") }
        self.factor = factor
    }

    private init(unchecked factor: Int) { self.factor = factor }

    public static let none = ImageTokenReduction(unchecked: 1)

    /// Grid side after pooling a `grid` x `grid` patch grid.
    public func pooledGrid(_ grid: Int) -> Int { (grid + factor - 1) / factor }

    /// Rows after pooling.
    public func rows(grid: Int, hasClassRow: Bool) -> Int {
        let side = pooledGrid(grid)
        return side * side + (hasClassRow ? 1 : 0)
    }

    /// `rows` is [(class row +) grid*grid patch rows, width], row-major over the grid.
    public func apply(_ rows: [Float], width: Int, grid: Int, hasClassRow: Bool) -> [Float] {
        guard factor > 1 else { return rows }
        let side = pooledGrid(grid), first = hasClassRow ? 1 : 0
        var output = [Float](repeating: 0, count: (first + side * side) * width)
        rows.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                let source = input.baseAddress!, target = out.baseAddress!
                if hasClassRow { target.update(from: source, count: width) }
                let patches = source + first * width
                for py in 0..<side {
                    for px in 0..<side {
                        let row = target + (first + py * side + px) * width
                        let ys = (py * factor)..<min(grid, (py + 1) * factor)
                        let xs = (px * factor)..<min(grid, (px + 1) * factor)
                        for y in ys {
                            for x in xs {
                                let patch = patches + (y * grid + x) * width
                                for k in 0..<width { row[k] += patch[k] }
                            }
                        }
                        let scale = 1 / Float(ys.count * xs.count)
                        for k in 0..<width { row[k] *= scale }
                    }
                }
            }
        }
        return output
    }
}
