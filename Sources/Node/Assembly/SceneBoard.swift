import Foundation
import CLIP

/// The newest scene scores, for the interpreter's "Visible:" line.
public final class SceneBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: [(label: String, probability: Float)] = []

    public init() {}

    public func update(_ scores: SceneScores) { lock.withLock { latest = scores.scores } }

    /// Labels likely in view: the most probable first, while they hold most of the mass.
    public func visible(limit: Int = 6) -> [String] {
        let ranked = lock.withLock { latest }.sorted { $0.probability > $1.probability }
        var mass: Float = 0
        var labels: [String] = []
        for entry in ranked.prefix(limit) where mass < 0.9 {
            labels.append(entry.label)
            mass += entry.probability
        }
        return labels
    }
}
