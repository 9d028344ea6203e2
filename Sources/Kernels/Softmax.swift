/// Numerically stable softmax of each row, in place.
public func softmaxRows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
    let ld = stride ?? columns
    for r in 0..<rows {
        let row = values + r * ld
        var maximum = -Float.infinity
        for i in 0..<columns { maximum = max(maximum, row[i]) }
        if maximum == -.infinity {
            // Every entry masked: a uniform distribution, as PyTorch gives for equal scores.
            for i in 0..<columns { row[i] = 1 / Float(columns) }
            continue
        }
        let inverse = 1 / exponentiate(row, count: columns, shift: maximum)
        for i in 0..<columns { row[i] *= inverse }
    }
}
