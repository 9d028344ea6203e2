import Foundation

/// The intent engine is made after the pipeline that feeds it frames: the pipeline's frame
/// listener reaches the engine through this box, filled once both exist.
final class IntentBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: IntentEngine?
    var engine: IntentEngine? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
