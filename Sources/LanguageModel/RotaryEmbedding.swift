import Foundation
import ModelFiles

/// Which elements of a head RoPE rotates together.
public enum RopeLayout: String, Sendable {
    /// Elements (2i, 2i+1): ggml's NORM rope, what llama.cpp uses for GGUF `llama`
    /// (whose Q/K rows the converter permuted to match).
    case adjacentPairs
    /// Elements (i, i + d/2): HF's rotate_half, ggml's NEOX rope (GGUF `qwen2`, every HF checkpoint).
    case halves
}

/// Rotary position embedding with the angles of every position in the KV
/// cache budget precomputed once: θᵢ = (p / factor) · base^(−2i/d).
public struct RotaryEmbedding: Sendable {
    public let layout: RopeLayout
    public let headDimension: Int
    let cosines: FloatTensor
    let sines: FloatTensor

    public init(layout: RopeLayout, headDimension: Int, base: Double, linearFactor: Double, positions: Int) {
        self.layout = layout
        self.headDimension = headDimension
        let half = headDimension / 2
        let cos = FloatStorage(count: positions * half), sin = FloatStorage(count: positions * half)
        for p in 0..<positions {
            let position = Double(p) / linearFactor
            for i in 0..<half {
                let angle = position * Foundation.pow(base, -2 * Double(i) / Double(headDimension))
                cos.pointer[p * half + i] = Float(Foundation.cos(angle))
                sin.pointer[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        cosines = FloatTensor(pointer: UnsafePointer(cos.pointer), shape: [positions, half], owner: cos)
        sines = FloatTensor(pointer: UnsafePointer(sin.pointer), shape: [positions, half], owner: sin)
    }

    /// Rotates `heads` heads in each of `rows` rows (row r at position `start + r`,
    /// rows `stride` floats apart), in place.
    func apply(_ values: UnsafeMutablePointer<Float>, rows: Int, stride: Int, heads: Int, start: Int) {
        let d = headDimension, half = d / 2
        withExtendedLifetime((cosines.owner, sines.owner)) {
            for r in 0..<rows {
                let cos = cosines.pointer + (start + r) * half, sin = sines.pointer + (start + r) * half
                for h in 0..<heads {
                    let x = values + r * stride + h * d
                    switch layout {
                    case .adjacentPairs:
                        for i in 0..<half {
                            let a = x[2 * i], b = x[2 * i + 1]
                            x[2 * i] = a * cos[i] - b * sin[i]
                            x[2 * i + 1] = a * sin[i] + b * cos[i]
                        }
                    case .halves:
                        for i in 0..<half {
                            let a = x[i], b = x[i + half]
                            x[i] = a * cos[i] - b * sin[i]
                            x[i + half] = b * cos[i] + a * sin[i]
                        }
                    }
                }
            }
        }
    }
}
