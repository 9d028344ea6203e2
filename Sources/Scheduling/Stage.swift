/// The kinds of work the node's compute executor runs. Each has its own
/// budget, latency histogram and deadline-miss count.
public enum Stage: String, Sendable, CaseIterable, Codable, Hashable {
    /// CLIP scene scoring of one camera frame.
    case scene
    /// CLIP grounding of an active intent's phrases on one frame.
    case ground
    /// One slice of instruction interpretation: a prefill chunk or one decode step.
    case interpret
}
