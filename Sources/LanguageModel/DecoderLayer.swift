import Kernels
import ModelFiles

/// One pre-norm LLaMA block: x += Attn(RMSNorm(x)); x += MLP(RMSNorm(x)), with
/// grouped-query causal attention over the KV cache and a SwiGLU MLP.
public struct DecoderLayer: Sendable {
    public let attentionNorm: RMSNorm
    public let query: ProjectionWeight
    public let key: ProjectionWeight
    public let value: ProjectionWeight
    public let output: ProjectionWeight
    public let mlpNorm: RMSNorm
    public let gate: ProjectionWeight
    public let up: ProjectionWeight
    public let down: ProjectionWeight

    /// Runs `rows` positions starting at `start` through the layer, updating
    /// `workspace.hidden` and writing their keys and values into the cache.
    func forward(
        rows: Int, start: Int, layer: Int, configuration c: LanguageModelConfiguration,
        rope: RotaryEmbedding, cache: KVCache, precision: KVCachePrecision, workspace w: Workspace, threads: Int
    ) {
        let hidden = w.hidden.pointer, normed = w.normed.pointer, projected = w.projected.pointer
        let q = w.query.pointer, attended = w.attention.pointer
        let qDim = c.queryDimension, kvDim = c.keyValueDimension, hd = c.headDimension
        let keys = cache.keys(layer: layer), values = cache.values(layer: layer)

        attentionNorm(hidden, rows: rows, into: normed)
        query(normed, rows: rows, into: q, threads: threads)
        key(normed, rows: rows, into: keys + start * kvDim, threads: threads)
        value(normed, rows: rows, into: values + start * kvDim, threads: threads)
        rope.apply(q, rows: rows, stride: qDim, heads: c.heads, start: start)
        rope.apply(keys + start * kvDim, rows: rows, stride: kvDim, heads: c.kvHeads, start: start)
        if precision == .float16 {
            roundToHalf(q, count: rows * qDim)
            roundToHalf(keys + start * kvDim, count: rows * kvDim)
            roundToHalf(values + start * kvDim, count: rows * kvDim)
        }

        let total = start + rows, group = c.heads / c.kvHeads
        let scale = 1 / Float(hd).squareRoot()
        let scores = w.scores.pointer
        for h in 0..<c.heads {
            let kvHead = h / group
            BLAS.gemmTransposedB(m: rows, n: total, k: hd, alpha: scale, a: q + h * hd, lda: qDim,
                                 b: keys + kvHead * hd, ldb: kvDim, c: scores, ldc: total)
            // Causal: row i (position start + i) sees positions 0...start + i.
            for i in 0..<rows {
                let row = scores + i * total
                for j in (start + i + 1)..<max(start + i + 1, total) { row[j] = -.infinity }
            }
            softmaxRows(scores, rows: rows, columns: total)
            if precision == .float16 { roundToHalf(scores, count: rows * total) }
            BLAS.gemm(m: rows, n: hd, k: total, a: scores, lda: total, b: values + kvHead * hd, ldb: kvDim,
                      c: attended + h * hd, ldc: qDim)
        }
        output(attended, rows: rows, into: projected, threads: threads)
        add(projected, onto: hidden, count: rows * c.hiddenSize)

        mlpNorm(hidden, rows: rows, into: normed)
        let g = w.gate.pointer, u = w.up.pointer, f = c.intermediateSize
        gate(normed, rows: rows, into: g, threads: threads)
        up(normed, rows: rows, into: u, threads: threads)
        swiGLU(g, u, count: rows * f)
        down(g, rows: rows, into: projected, threads: threads)
        add(projected, onto: hidden, count: rows * c.hiddenSize)
    }
}

/// Rounds each value to the nearest float16 (what ggml's F16 operands hold).
func roundToHalf(_ values: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { values[i] = Float(Float16(values[i])) }
}

/// y += x.
@inline(__always)
func add(_ x: UnsafePointer<Float>, onto y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}

/// gate = silu(gate) · up, silu(x) = x / (1 + e^(−x)), eight lanes at a time.
func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
    let g = UnsafeMutableRawPointer(gate), u = UnsafeRawPointer(up)
    let vectors = count / 8
    for v in 0..<vectors {
        let x = g.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self)
        let y = x / (1 + fastExp(-x)) * u.loadUnaligned(fromByteOffset: 32 * v, as: SIMD8<Float>.self)
        g.storeBytes(of: y, toByteOffset: 32 * v, as: SIMD8<Float>.self)
    }
    for i in (vectors * 8)..<count { gate[i] = gate[i] / (1 + fastExp(-gate[i])) * up[i] }
}
