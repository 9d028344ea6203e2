@testable import Capture
import Foundation
import Imaging
import Testing

/// Mutation fuzzing of everything that reads frame files and recording
/// indexes: whatever the bytes, the answer is a frame or a clear skip, never a crash.
@Suite struct FuzzTests {
    static func mutations(of seed: [UInt8], count: Int, rng: inout SplitMix64) -> [[UInt8]] {
        (0..<count).map { _ in
            var bytes = seed
            switch rng.next(upTo: 4) {
            case 0:  // truncate
                bytes = Array(bytes.prefix(rng.next(upTo: bytes.count)))
            case 1:  // flip bytes
                for _ in 0..<(1 + rng.next(upTo: 16)) where !bytes.isEmpty {
                    bytes[rng.next(upTo: bytes.count)] ^= UInt8(truncatingIfNeeded: 1 + rng.next(upTo: 255))
                }
            case 2:  // splice in random bytes
                let at = rng.next(upTo: bytes.count + 1)
                bytes.insert(contentsOf: (0..<rng.next(upTo: 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            default:  // overwrite the header area
                for i in 0..<min(bytes.count, 40) where rng.next(upTo: 3) == 0 {
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            return bytes
        }
    }

    @Test func mutatedJPEGAndPNGFramesNeverCrash() throws {
        var rng = SplitMix64(seed: 2024)
        let image = try SyntheticScene.make(width: 48, height: 32, seed: 4)
        let seeds = [try JPEGEncoder().encode(image, quality: 75), try PNGCodec.encode(image)]
        let decoder = try JPEGDecoder()
        var decoderHolder: JPEGDecoder? = decoder
        var accepted = 0, rejected = 0
        for seed in seeds {
            for bytes in Self.mutations(of: seed, count: 1500, rng: &rng) {
                switch FrameFileCheck.inspect(bytes, decoder: &decoderHolder) {
                case .failure: rejected += 1
                case .success(let found):
                    accepted += 1
                    let frame = Frame(
                        pixels: found.pixels, width: found.width, height: found.height, seq: 1,
                        capture: CaptureTime(monotonicNs: 0, realtimeNs: 0), sourceID: "fuzz")
                    if let decoded = try? frame.rgb(scale: .half, decoder: decoder) {
                        #expect(decoded.pixels.count == decoded.width * decoded.height * 3)
                    }
                }
            }
        }
        #expect(accepted > 0 && rejected > 0)
    }

    @Test func mutatedIndexAndMetaNeverCrash() throws {
        var rng = SplitMix64(seed: 77)
        let folder = ScratchFolder()
        _ = try makeRecording(in: folder, timesMs: [0, 33, 66])
        let index = folder.read("frames.jsonl")
        let meta = folder.read("meta.json")
        for round in 0..<300 {
            let mutatedIndex = Self.mutations(of: index, count: 1, rng: &rng)[0]
            folder.write("frames.jsonl", mutatedIndex)
            folder.write("meta.json", round % 3 == 0 ? Self.mutations(of: meta, count: 1, rng: &rng)[0] : meta)
            do {
                let source = try ReplaySource(path: folder.path, options: .init(timing: .fast), logger: LogRecorder().logger)
                var frames = 0
                while let _ = try source.nextFrame() { frames += 1 }
                #expect(frames + Int(source.statistics.skipped) >= source.entries.count)
            } catch let error as ReplayError {
                #expect(error.description.contains(folder.path))
            }
        }
    }
}
