public import Capture
import Foundation
public import Imaging
public import Logging
public import SightlineProtocol

/// Writes frames with an intent's boxes and phrases drawn on them as PNG, for a
/// person checking what the node saw: `<directory>/<command>-r<revision>-f<seq>.png`.
/// A fixed number per run, so a long run cannot fill the disk.
public final class FrameAnnotator: @unchecked Sendable {
    public let directory: String
    private let limit: Int
    private let logger: Logger
    private let lock = NSLock()
    private var written = 0

    public init(directory: String, limit: Int, logger: Logger) {
        self.directory = directory
        self.limit = limit
        self.logger = logger
    }

    public func write(frame: Frame, intent: IntentMessage, decoder: JPEGDecoder) {
        let claimed = lock.withLock { () -> Bool in
            guard written < limit else { return false }
            written += 1
            return true
        }
        guard claimed else { return }
        do {
            var image = try frame.rgb(scale: .full, decoder: decoder)
            var boxes: [BoxAnnotation] = []
            if let target = intent.target {
                boxes.append(BoxAnnotation(box: target.box, label: "\(intent.action): \(target.phrase) \(String(format: "%.2f", target.score))"))
            }
            if let destination = intent.destination {
                boxes.append(BoxAnnotation(box: destination.box, label: "to: \(destination.phrase)", color: (32, 128, 255)))
            }
            image.annotate(boxes)
            let banner = "\(intent.text) -> \(intent.status.rawValue) (r\(intent.revision), frame \(frame.seq))"
            image.fill(0, image.height - 14, image.width, image.height, (0, 0, 0))
            BitmapFont.draw(banner, into: &image, x: 3, y: image.height - 12, color: (255, 255, 255))
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let safeID = String(intent.commandID.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" ? Character($0) : "_" })
            let path = "\(directory)/\(safeID)-r\(intent.revision)-f\(frame.seq).png"
            try Data(try PNGCodec.encode(image)).write(to: URL(fileURLWithPath: path))
            logger.info("annotated frame written: \(path)")
        } catch {
            logger.warning("could not write an annotated frame: \(error)")
        }
    }
}
