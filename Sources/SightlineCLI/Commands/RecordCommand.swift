import ArgumentParser
import Capture
import Foundation
import ThreadSupport

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a camera to a folder that `sightline replay` and the node can play back.",
        discussion: """
            Writes DIR/meta.json (device, card, bus, format, size, fps, control values, tool version), \
            DIR/frames.jsonl (one line per frame: seq, monotonic_ns, realtime_ns, file, bytes) and the frames: \
            MJPEG exactly as the camera sent it, YUYV as lossless PNG. Without --seconds or --frames it \
            records until Ctrl-C.
            """)

    @Option(help: "Camera: /dev/videoN or a /dev/v4l/by-id/... link.")
    var device: String

    @Option(help: "Output folder (created; must be new or empty).")
    var out: String

    @Option(help: "Stop after this many seconds.")
    var seconds: Double?

    @Option(help: "Stop after this many frames.")
    var frames: Int?

    @Option(help: "Frame size WxH.")
    var size: String = "640x480"

    @Option(help: "Frame rate to ask the camera for.")
    var fps: Double = 30

    @Option(help: "Pixel format: mjpeg or yuyv (default: MJPEG above 640x480, YUYV at or below).")
    var format: String?

    @Option(name: .customLong("control"), help: "A camera control, name=value (repeatable), e.g. power_line_frequency=50Hz.")
    var controls: [String] = []

    struct Parsed {
        var camera: CameraConfiguration
        var limits: Recorder.Limits
    }

    func validate() throws {
        _ = try parsed()
    }

    func parsed() throws -> Parsed {
        guard !device.isEmpty else { throw ValidationError("--device must name a camera, e.g. /dev/video0") }
        guard !out.isEmpty else { throw ValidationError("--out must name a folder") }
        if let seconds, !(seconds > 0 && seconds.isFinite) {
            throw ValidationError("--seconds must be a positive number, got \(seconds)")
        }
        if let frames, frames <= 0 { throw ValidationError("--frames must be positive, got \(frames)") }
        if seconds != nil && frames != nil { throw ValidationError("give --seconds or --frames, not both") }
        guard let dims = parseSize(size) else { throw ValidationError("--size must be WxH, e.g. 1280x720; got '\(size)'") }
        guard fps > 0, fps <= 1000 else { throw ValidationError("--fps must be between 0 and 1000, got \(fps)") }
        var pixelFormat: CameraPixelFormat?
        if let format {
            guard let parsed = CameraPixelFormat(rawValue: format.lowercased()) else {
                throw ValidationError("--format must be mjpeg or yuyv, got '\(format)'")
            }
            pixelFormat = parsed
        }
        var controlValues: [String: ControlValue] = [:]
        for control in controls {
            let parts = control.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--control must be name=value, got '\(control)'")
            }
            controlValues[String(parts[0])] = ControlValue(argument: String(parts[1]))
        }
        let request = CaptureRequest(width: dims.width, height: dims.height, fps: fps, format: pixelFormat)
        return Parsed(
            camera: CameraConfiguration(device: device, request: request, controls: controlValues),
            limits: Recorder.Limits(frames: frames, seconds: seconds))
    }

    func run() async throws {
        let parsed = try parsed()
        let camera = V4L2Camera(configuration: parsed.camera)
        let out = self.out
        let watcher = InterruptWatcher { camera.stop() }
        defer { withExtendedLifetime(watcher) {} }
        let result = try await onDedicatedThread("sightline.record") { () throws -> Recorder.Progress in
            do throws(CameraError) {
                try camera.open()
            } catch {
                throw CommandFailure(error.description)
            }
            guard let session = camera.session else { throw CommandFailure("camera did not start") }
            let clock = SystemClock()
            let meta = RecordingMeta(
                device: session.info.path, card: session.info.card, bus: session.info.bus,
                format: session.negotiated.format.rawValue, width: session.negotiated.width,
                height: session.negotiated.height, fps: session.fps, controls: session.controlValues,
                tool: "sightline \(Sightline.version)", createdRealtimeNs: clock.realtimeNs())
            let writer: RecordingWriter
            do throws(RecordingError) {
                writer = try RecordingWriter(directory: out, meta: meta)
            } catch {
                throw CommandFailure(error.description)
            }
            printError("recording \(session.info.card) (\(session.info.path)) "
                + "\(session.negotiated.fourcc) \(session.negotiated.width)x\(session.negotiated.height)"
                + (session.fps.map { " at \($0) fps" } ?? "") + " to \(out); Ctrl-C stops")
            let progress = ProgressLine()
            let result = try Recorder.record(from: camera, into: writer, limits: parsed.limits, clock: clock) {
                progress.update(
                    String(format: "%6d frames  %7.1f s  %8.1f MB  dropped %d  camera %@",
                           $0.frames, $0.elapsedSeconds, Double($0.bytes) / 1e6, $0.source.dropped,
                           camera.health.description))
            }
            progress.finish()
            return result
        }
        print("recorded \(result.frames) frames (\(String(format: "%.1f", Double(result.bytes) / 1e6)) MB) "
            + "in \(String(format: "%.1f", result.elapsedSeconds)) s to \(out); dropped \(result.source.dropped), "
            + "skipped \(result.source.skipped), reconnects \(result.source.reconnects)")
    }
}

/// A progress line on stderr: rewritten in place on a terminal, once a second otherwise.
final class ProgressLine {
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastPrint = Date.distantPast

    func update(_ text: String) {
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= (interactive ? 0.1 : 1.0) else { return }
        lastPrint = now
        printError(interactive ? "\r\(text)" : text, terminator: interactive ? "" : "\n")
    }

    func finish() {
        if interactive { printError("") }
    }
}
