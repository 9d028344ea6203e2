/// Element-wise activations and the fast exp they use. These run over every
/// MLP activation (tens of millions per image), so they avoid libm calls and
/// stay in straight-line float code the compiler vectorises.
public enum Activation: String, Sendable, Codable {
    /// x · sigmoid(1.702 x), the activation of OpenAI's CLIP checkpoints.
    case quickGELU = "quick_gelu"
    /// x · Φ(x) with the exact error function (PyTorch's default GELU).
    case gelu
    /// The tanh approximation of GELU.
    case geluTanh = "gelu_pytorch_tanh"

    /// Applies the activation in place, eight lanes at a time.
    public func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let vectors = count / 8
        let raw = UnsafeMutableRawPointer(values)
        for v in 0..<vectors {
            let x = raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self)
            raw.storeBytes(of: apply(x), toByteOffset: v * 32, as: SIMD8<Float>.self)
        }
        for i in (vectors * 8)..<count {
            values[i] = apply(SIMD8<Float>(repeating: values[i]))[0]
        }
    }

    @inline(__always)
    func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .quickGELU:
            return x / (1 + fastExp(-1.702 * x))
        case .gelu:
            return 0.5 * x * (1 + fastErf(x * 0.707_106_781_186_547_5))
        case .geluTanh:
            let u = 0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x)
            // tanh(u) = 1 - 2 / (exp(2u) + 1)
            return 0.5 * x * (2 - 2 / (fastExp(2 * u) + 1))
        }
    }
}

/// exp over eight lanes to a few ulp for |x| < 87, saturating outside: 2^n · p(r)
/// with x = n ln 2 + r and a degree-6 polynomial on |r| <= ln2/2.
/// Rounding uses the 1.5·2²³ trick and the exponent is built with integer
/// adds and shifts (no float-to-int conversion, which Swift's generic SIMD
/// initialiser does lane by lane), so the loop stays in vector instructions.
@inline(__always)
public func fastExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Explicit selects: `clamped(lowerBound:upperBound:)` calls the generic pointwiseMin/Max out of line.
    let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.3)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    let shifter = SIMD8<Float>(repeating: 12_582_912)  // 1.5 * 2^23
    let shifted = clamped * 1.442_695_040_888_963_4 + shifter
    let n = shifted - shifter
    // The integer n sits in the low mantissa bits of `shifted` (0x4B400000 is 1.5·2²³).
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let r = clamped - n * 0.693_145_751_953_125 - n * 1.428_606_820_309_417_2e-06
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = (integer &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
}

/// erf over eight lanes (Abramowitz and Stegun 7.1.26).
@inline(__always)
public func fastErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let zero = SIMD8<Float>(repeating: 0)
    let a = x.replacing(with: -x, where: x .< zero)
    let t = 1 / (1 + 0.327_591_1 * a)
    var p = SIMD8<Float>(repeating: 1.061_405_429)
    p = p * t - 1.453_152_027
    p = p * t + 1.421_413_741
    p = p * t - 0.284_496_736
    p = p * t + 0.254_829_592
    let y = 1 - p * t * fastExp(-a * a)
    return y.replacing(with: -y, where: x .< zero)
}

/// Scalar exp and erf, the same functions as the vector ones, for the odd value.
@inline(__always)
public func fastExp(_ x: Float) -> Float { fastExp(SIMD8(repeating: x))[0] }

@inline(__always)
public func fastErf(_ x: Float) -> Float { fastErf(SIMD8(repeating: x))[0] }

/// `values[i] = exp(scale · (values[i] - shift))` for `count` values; returns their sum.
@inline(__always)
func exponentiate(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float, scale: Float = 1) -> Float {
    let raw = UnsafeMutableRawPointer(values)
    var sums = SIMD8<Float>(repeating: 0)
    let vectors = count / 8
    for v in 0..<vectors {
        let e = fastExp((raw.loadUnaligned(fromByteOffset: v * 32, as: SIMD8<Float>.self) - shift) * scale)
        raw.storeBytes(of: e, toByteOffset: v * 32, as: SIMD8<Float>.self)
        sums += e
    }
    var sum = sums.sum()
    for i in (vectors * 8)..<count {
        values[i] = fastExp((values[i] - shift) * scale)
        sum += values[i]
    }
    return sum
}
