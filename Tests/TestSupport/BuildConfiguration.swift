/// How the tests were compiled. Debug builds run the engines' kernels unoptimised, so tests
/// that would take many minutes there are skipped (with a reason) and run in release builds.
public enum BuildConfiguration {
    /// False in a debug build; true with `-c release` (SwiftPM defines DEBUG for every target of a debug build).
    public static var isOptimized: Bool {
        #if DEBUG
        false
        #else
        true
        #endif
    }
}
