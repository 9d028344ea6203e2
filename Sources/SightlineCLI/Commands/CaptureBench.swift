import ArgumentParser
import Capture
import Foundation
import ThreadSupport
import Imaging

/// Decode and replay throughput: the cost of getting a frame to a model.
struct CaptureBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "MJPEG decode (full and scaled) at 1280x720 and fast-mode replay of 640x480 JPEG.")

    @Option(help: "Timed decodes per measurement.")
    var iterations: Int = 200

    @Option(help: "Frames in the replay benchmark folder.")
    var replayFrames: Int = 300

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard iterations > 0, iterations <= 100_000 else { throw ValidationError("--iterations must be 1...100000") }
        guard replayFrames > 0, replayFrames <= 10_000 else { throw ValidationError("--replay-frames must be 1...10000") }
    }

    struct Report: Encodable {
        var jpeg1280x720Bytes: Int
        var decodeFullMs: Stats
        var decodeQuarterMs: Stats
        var replayReadFPS: Double
        var replayDecodeFPS: Double

        enum CodingKeys: String, CodingKey {
            case jpeg1280x720Bytes = "jpeg_1280x720_bytes"
            case decodeFullMs = "decode_1280x720_full_ms"
            case decodeQuarterMs = "decode_1280x720_quarter_ms"
            case replayReadFPS = "replay_640x480_fast_fps"
            case replayDecodeFPS = "replay_640x480_fast_decode_fps"
        }
    }

    struct Stats: Encodable {
        var median: Double
        var p90: Double
        var min: Double

        init(_ samples: [Double]) {
            let sorted = samples.sorted()
            median = sorted[sorted.count / 2]
            p90 = sorted[Swift.min(sorted.count - 1, sorted.count * 9 / 10)]
            self.min = sorted[0]
        }
    }

    func run() async throws {
        let (iterations, replayFrames) = (self.iterations, self.replayFrames)
        let report = try await onDedicatedThread("sightline.bench") { () throws -> Report in
            let clock = SystemClock()
            let jpeg = try JPEGEncoder().encode(
                SyntheticScene.make(width: 1280, height: 720, seed: 7), quality: 85, subsampling: .s422)
            let decoder = try JPEGDecoder()
            func timeDecodes(_ scale: JPEGScale) throws -> Stats {
                for _ in 0..<10 { _ = try decoder.decode(jpeg, scale: scale) }
                var samples: [Double] = []
                for _ in 0..<iterations {
                    let t0 = clock.monotonicNs()
                    _ = try decoder.decode(jpeg, scale: scale)
                    samples.append(Double(clock.monotonicNs() - t0) / 1e6)
                }
                return Stats(samples)
            }
            let full = try timeDecodes(.full)
            let quarter = try timeDecodes(.quarter)

            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("sightline-bench-\(getpid())").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let encoder = try JPEGEncoder()
            let base = try SyntheticScene.make(width: 640, height: 480, seed: 11)
            for i in 0..<replayFrames {
                // Distinct frames: shift the scene a little each time.
                var image = base
                image.pixels.withUnsafeMutableBufferPointer { px in
                    for k in stride(from: i % 3, to: px.count, by: 97) { px[k] = px[k] &+ UInt8(i % 251) }
                }
                let data = try encoder.encode(image, quality: 85)
                try Data(data).write(to: URL(fileURLWithPath: folder + String(format: "/%06d.jpg", i)))
            }
            func replayFPS(decode: Bool) throws -> Double {
                var rates: [Double] = []
                for _ in 0..<3 {
                    let source = try ReplaySource(path: folder, options: ReplayOptions(timing: .fast))
                    let t0 = clock.monotonicNs()
                    var n = 0
                    while let frame = try source.nextFrame() {
                        if decode { _ = try frame.rgb(decoder: decoder) }
                        n += 1
                    }
                    rates.append(Double(n) / (Double(clock.monotonicNs() - t0) / 1e9))
                }
                return rates.sorted()[1]
            }
            return Report(
                jpeg1280x720Bytes: jpeg.count, decodeFullMs: full, decodeQuarterMs: quarter,
                replayReadFPS: try replayFPS(decode: false), replayDecodeFPS: try replayFPS(decode: true))
        }
        if json {
            print(JSONLines.line(report))
        } else {
            print(String(format: "1280x720 MJPEG (%d bytes, q85 4:2:2) decode, ms/frame over %d runs:", report.jpeg1280x720Bytes, iterations))
            print(String(format: "  full     median %.2f  p90 %.2f  min %.2f", report.decodeFullMs.median, report.decodeFullMs.p90, report.decodeFullMs.min))
            print(String(format: "  1/4      median %.2f  p90 %.2f  min %.2f", report.decodeQuarterMs.median, report.decodeQuarterMs.p90, report.decodeQuarterMs.min))
            print(String(format: "replay --fast, %d frames of 640x480 JPEG (median of 3):", replayFrames))
            print(String(format: "  read + validate   %.0f fps", report.replayReadFPS))
            print(String(format: "  + full decode     %.0f fps", report.replayDecodeFPS))
        }
    }
}
