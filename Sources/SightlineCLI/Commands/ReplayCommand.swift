import ArgumentParser
import Capture
import Foundation
import ThreadSupport
import Imaging

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Play back a recording, or a folder of .jpg/.png files, and report each frame.",
        discussion: """
            Prints a line per frame (seq, size, capture time, decode ms) and a summary. With --json each \
            line is a JSON object and the summary, {"frames": N, "skipped": N, "fps": F}, is the last line. \
            Corrupt or truncated frames are skipped, counted and named on stderr.
            """)

    @Argument(help: "A recording folder (meta.json + frames.jsonl) or a folder of images.")
    var directory: String

    @Option(help: "Play at a fixed frame rate.")
    var fps: Double?

    @Flag(help: "Play with the recorded timing (the default; a plain folder plays at 30 fps).")
    var realtime = false

    @Flag(help: "Play as fast as frames can be read and decoded.")
    var fast = false

    @Flag(help: "Start over after the last frame (until --frames or Ctrl-C).")
    var loop = false

    @Option(help: "Stop after this many frames.")
    var frames: Int?

    @Option(help: "With the recorded timing, a timestamp gap longer than this many seconds (or a step back in time) is replayed as one frame period, with a warning.")
    var maxGap: Double = 5

    @Option(help: "JPEG decode scale: 1, 1/2, 1/4 or 1/8.")
    var scale: String = "1"

    @Flag(help: "Print JSON lines.")
    var json = false

    func validate() throws {
        _ = try options()
        if let frames, frames <= 0 { throw ValidationError("--frames must be positive, got \(frames)") }
        guard JPEGScale(argument: scale) != nil else {
            throw ValidationError("--scale must be 1, 1/2, 1/4 or 1/8; got '\(scale)'")
        }
    }

    func options() throws -> ReplayOptions {
        let chosen = [fps != nil, realtime, fast].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("choose one of --fps, --realtime and --fast") }
        guard maxGap > 0, maxGap <= 86_400 else {
            throw ValidationError("--max-gap must be a positive number of seconds up to 86400, got \(maxGap)")
        }
        if let fps {
            guard fps >= 0.001, fps <= 10_000 else {
                throw ValidationError("--fps must be a number from 0.001 to 10000, got \(fps)")
            }
            return ReplayOptions(timing: .fixed(fps: fps), loop: loop, maxGapS: maxGap)
        }
        return ReplayOptions(timing: fast ? .fast : .original, loop: loop, maxGapS: maxGap)
    }

    struct FrameLine: Encodable {
        var seq: UInt64
        var width: Int
        var height: Int
        var decodedWidth: Int
        var decodedHeight: Int
        var capturedMonotonicNs: UInt64
        var capturedRealtimeNs: UInt64
        var recordedRealtimeNs: UInt64?
        var decodeMs: Double
        var file: String?

        enum CodingKeys: String, CodingKey {
            case seq, width, height, file
            case decodedWidth = "decoded_width", decodedHeight = "decoded_height"
            case capturedMonotonicNs = "captured_monotonic_ns", capturedRealtimeNs = "captured_realtime_ns"
            case recordedRealtimeNs = "recorded_realtime_ns", decodeMs = "decode_ms"
        }
    }

    struct Summary: Encodable {
        var frames: Int
        var skipped: Int
        var fps: Double
    }

    func run() async throws {
        let source: ReplaySource
        do {
            source = try ReplaySource(path: directory, options: try options())
        } catch let error as ReplayError {
            throw CommandFailure(error.description)
        }
        let scale = JPEGScale(argument: scale)!
        let (json, limit) = (self.json, frames)
        let watcher = InterruptWatcher { source.stop() }
        defer { withExtendedLifetime(watcher) {} }
        let summary = try await onDedicatedThread("sightline.replay") { () throws -> Summary in
            let decoder = try JPEGDecoder()
            let clock = SystemClock()
            let start = clock.monotonicNs()
            var decoded = 0, failed = 0
            while limit.map({ decoded < $0 }) ?? true, let frame = try source.nextFrame() {
                let before = clock.monotonicNs()
                let image: RGBImage
                do {
                    image = try frame.rgb(scale: scale, decoder: decoder)
                } catch {
                    failed += 1
                    printError("sightline: warning: skipped \(frame.origin ?? "frame \(frame.seq)"): \(error)")
                    continue
                }
                let decodeMs = Double(clock.monotonicNs() - before) / 1e6
                decoded += 1
                let line = FrameLine(
                    seq: frame.seq, width: frame.width, height: frame.height,
                    decodedWidth: image.width, decodedHeight: image.height,
                    capturedMonotonicNs: frame.capture.monotonicNs, capturedRealtimeNs: frame.capture.realtimeNs,
                    recordedRealtimeNs: frame.originalCapture?.realtimeNs, decodeMs: decodeMs,
                    file: frame.origin.map { ($0 as NSString).lastPathComponent })
                if json {
                    print(JSONLines.line(line))
                } else {
                    let shown = frame.originalCapture ?? frame.capture
                    print(String(format: "frame %6llu  %dx%d  captured %@  decode %.2f ms",
                                 frame.seq, frame.width, frame.height, formatNs(shown.realtimeNs), decodeMs))
                }
            }
            let seconds = Double(clock.monotonicNs() - start) / 1e9
            return Summary(
                frames: decoded, skipped: Int(source.statistics.skipped) + failed,
                fps: seconds > 0 ? (Double(decoded) / seconds * 100).rounded() / 100 : 0)
        }
        if json {
            print(JSONLines.line(summary))
        } else {
            print("\(summary.frames) frames, \(summary.skipped) skipped, \(summary.fps) fps")
        }
    }
}
