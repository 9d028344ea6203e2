/// Numerically stable softmax of each row of `scale · values`, in place, eight lanes at a
/// time (attention spends as long here as in a matrix product when done a value at a time).
public func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil, scale: Float = 1) {
    let ld = stride ?? columns
    let vectors = columns / 8
    for r in 0..<rows {
        let row = values + r * ld, raw = UnsafeMutableRawPointer(row)
        var maxima = SIMD8<Float>(repeating: -.infinity)
        for v in 0..<vectors {
            let x = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
            maxima.replace(with: x, where: x .> maxima)
        }
        var maximum = maxima.max()
        for i in (vectors * 8)..<columns { maximum = max(maximum, row[i]) }
        if maximum == -.infinity {
            // Every entry masked: a uniform distribution, as PyTorch gives for equal scores.
            for i in 0..<columns { row[i] = 1 / Float(columns) }
            continue
        }
        let inverse = 1 / exponentiate(row, count: columns, shift: maximum, scale: scale)
        for v in 0..<vectors {
            let x = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
            raw.storeBytes(of: x * inverse, toByteOffset: v * 32, as: SIMD8<Float>.self)
        }
        for i in (vectors * 8)..<columns { row[i] *= inverse }
    }
}
