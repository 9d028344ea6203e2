/// Upper bounds on the sizes a model's config may declare, checked before any of them sizes
/// an allocation or enters a product. They sit well above every real checkpoint (LLaMA-3-405B:
/// hidden 16384, intermediate 53248, 126 layers, 128 heads; Gemma: 256k tokens) and far below
/// where arithmetic on them could overflow or an allocation could exhaust memory.
public enum ConfigurationLimits {
    public static let dimension = 1 << 16
    public static let layers = 1024
    public static let heads = 1024
    public static let vocabulary = 1 << 22
    public static let positions = 1 << 20
    /// Image sides in pixels (input, patch, resize and crop sizes).
    public static let imageSide = 4096

    /// The first size outside `1...limit`, described as "`prefix`name must be 1...limit, found value".
    public static func problem(_ sizes: KeyValuePairs<String, (value: Int, limit: Int)>, prefix: String = "") -> String? {
        for (name, size) in sizes where !(1...size.limit).contains(size.value) {
            return "\(prefix)\(name) must be 1...\(size.limit), found \(size.value)"
        }
        return nil
    }
}
