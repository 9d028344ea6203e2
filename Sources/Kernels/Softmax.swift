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
        var sum: Float = 0
        for i in 0..<columns {
            let e = fastExp(row[i] - maximum)
            row[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<columns { row[i] *= inverse }
    }
}
