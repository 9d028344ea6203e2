import Foundation
import SightlineProtocol

/// Replies and intents as a person reads them (`send --format text`).
enum IntentText {
    static func reply(_ reply: CommandReply, text: String) -> String {
        switch reply.status {
        case .accepted: "-> \"\(text)\": accepted as \(reply.id ?? "?")"
        case .rejected: "-> \"\(text)\": rejected, \(reply.reason?.rawValue ?? "no reason")\(reply.detail.map { " (\($0))" } ?? "")"
        }
    }

    static func intent(_ intent: IntentMessage) -> String {
        var line = "<- r\(intent.revision) \(intent.action)"
        // The phrases as interpreted when they were not located (not_found, timeout, error).
        if let target = intent.target { line += " " + phrase(target) } else if let text = intent.targetPhrase { line += " \"\(text)\"" }
        if let destination = intent.destination {
            line += " to " + phrase(destination)
        } else if let text = intent.destinationPhrase {
            line += " to \"\(text)\""
        }
        line += ": \(intent.status.rawValue)"
        if let detail = intent.detail { line += " (\(detail))" }
        let validMs = (Double(intent.validUntilRealtimeNs) - Double(intent.frame.capturedRealtimeNs)) / 1e6
        let l = intent.latencyMs
        line += String(format: " | frame %llu at %@, valid %.0f ms | interpret %.0f ms, ground %.0f ms, total %.0f ms",
                       intent.frame.seq, utcTime(intent.frame.capturedRealtimeNs), validMs, l.interpret, l.ground, l.total)
        return line
    }

    private static func phrase(_ p: GroundedPhrase) -> String {
        let box = p.box.map { String(format: "%.0f", $0) }.joined(separator: ",")
        var text = "\"\(p.phrase)\" box [\(box)] center (\(String(format: "%.0f,%.0f", p.center[0], p.center[1]))) score \(String(format: "%.2f", p.score))"
        if let ray = p.ray { text += " ray [\(ray.map { String(format: "%.3f", $0) }.joined(separator: ","))]" }
        return text
    }

    /// HH:MM:SS.mmm UTC of a wall-clock time in ns since the epoch.
    private static func utcTime(_ ns: UInt64) -> String {
        let ms = ns / 1_000_000, day = ms % 86_400_000
        return String(format: "%02llu:%02llu:%02llu.%03llu UTC", day / 3_600_000, day / 60_000 % 60, day / 1000 % 60, day % 1000)
    }
}
