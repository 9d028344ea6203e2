/// The DCT scaling factors libjpeg-turbo decodes at without a separate resize:
/// decoding at 1/4 skips most of the inverse DCT work, so a frame headed for a
/// 224-pixel model never has to be decoded at full resolution.
public enum JPEGScale: Int, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case full = 1
    case half = 2
    case quarter = 4
    case eighth = 8

    public var denominator: Int { rawValue }

    /// The decoded size of one dimension, rounded up as libjpeg does (TJSCALED).
    public func scaled(_ dimension: Int) -> Int {
        (dimension + denominator - 1) / denominator
    }

    /// The smallest decode whose shorter side still covers `minimumSide` pixels,
    /// so that a later resize only ever shrinks.
    public static func largest(reducing width: Int, _ height: Int, toAtLeast minimumSide: Int) -> JPEGScale {
        let candidates: [JPEGScale] = [.eighth, .quarter, .half]
        for scale in candidates where min(scale.scaled(width), scale.scaled(height)) >= minimumSide {
            return scale
        }
        return .full
    }

    public var description: String { self == .full ? "1/1" : "1/\(denominator)" }

    /// Parses "1", "1/2", "2", "0.5" and the case names.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "1", "1/1", "full": self = .full
        case "2", "1/2", "0.5", "half": self = .half
        case "4", "1/4", "0.25", "quarter": self = .quarter
        case "8", "1/8", "0.125", "eighth": self = .eighth
        default: return nil
        }
    }
}
