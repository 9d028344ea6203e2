@testable import Capture
import Foundation
import Imaging
import Testing

/// A scratch folder removed at the end of the test.
final class ScratchFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sightline-test-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ bytes: [UInt8]) {
        FileManager.default.createFile(atPath: path + "/" + name, contents: Data(bytes))
    }

    func write(_ name: String, text: String) { write(name, Array(text.utf8)) }

    func read(_ name: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path + "/" + name) ?? Data()) }
}

/// Builds a recording folder by hand (independently of RecordingWriter) with
/// the given recorded monotonic times in milliseconds.
func makeRecording(in folder: ScratchFolder, timesMs: [UInt64], width: Int = 64, height: Int = 48) throws -> [[UInt8]] {
    let encoder = try JPEGEncoder()
    var frames: [[UInt8]] = []
    var index = ""
    for (i, ms) in timesMs.enumerated() {
        let jpeg = try encoder.encode(try SyntheticScene.make(width: width, height: height, seed: UInt64(i)), quality: 80)
        let name = String(format: "%06d.jpg", i + 1)
        folder.write(name, jpeg)
        frames.append(jpeg)
        let mono = 5_000_000_000 + ms * 1_000_000
        index += #"{"seq":\#(i + 1),"monotonic_ns":\#(mono),"realtime_ns":\#(mono + 1_700_000_000_000_000_000),"file":"\#(name)","bytes":\#(jpeg.count)}"# + "\n"
    }
    folder.write("frames.jsonl", text: index)
    folder.write("meta.json", text: #"{"format_version":1,"device":"/dev/video0","card":"Test","bus":"usb-1","format":"mjpeg","width":\#(width),"height":\#(height),"fps":30,"controls":{"brightness":0},"tool":"test"}"#)
    return frames
}

@Suite("Replay and recording")
struct ReplayTests {
    @Test func recordFromReplayThenReplayGivesTheSameBytesAndTimestamps() throws {
        let original = ScratchFolder()
        let frames = try makeRecording(in: original, timesMs: [0, 33, 70, 100, 150])
        let source = try ReplaySource(path: original.path, options: ReplayOptions(timing: .fast))
        #expect(source.meta?.card == "Test")

        let copy = ScratchFolder()
        try FileManager.default.removeItem(atPath: copy.path)
        let writer = try RecordingWriter(
            directory: copy.path,
            meta: RecordingMeta(device: source.sourceID, format: "mjpeg", width: 64, height: 48, tool: "test"))
        let result = try Recorder.record(from: source, into: writer, limits: .init())
        #expect(result.frames == 5)

        let replay = try ReplaySource(path: copy.path, options: ReplayOptions(timing: .fast))
        #expect(replay.meta?.frames == 5)
        var index = 0
        while let frame = try replay.nextFrame() {
            guard case .jpeg(let bytes) = frame.pixels else { Issue.record("expected JPEG"); break }
            #expect(bytes == frames[index], "frame \(index) bytes differ")
            let ms = [0, 33, 70, 100, 150][index]
            #expect(frame.originalCapture?.monotonicNs == 5_000_000_000 + UInt64(ms) * 1_000_000)
            #expect(frame.originalCapture?.realtimeNs == 1_700_000_005_000_000_000 + UInt64(ms) * 1_000_000)
            #expect(frame.width == 64 && frame.height == 48)
            index += 1
        }
        #expect(index == 5)
        #expect(replay.health == .ended)
        // And the index is the documented format, line for line.
        let lines = String(decoding: copy.read("frames.jsonl"), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0].contains(#""file":"000001.jpg""#) && lines[0].contains(#""monotonic_ns":5000000000"#))
    }

    @Test func rgbFramesAreRecordedAsLosslessPNG() throws {
        let out = ScratchFolder()
        try FileManager.default.removeItem(atPath: out.path)
        let writer = try RecordingWriter(
            directory: out.path, meta: RecordingMeta(device: "sim", format: "yuyv", width: 8, height: 4, tool: "test"))
        let image = try SyntheticScene.make(width: 8, height: 4, seed: 5)
        let time = CaptureTime(monotonicNs: 10, realtimeNs: 20)
        try writer.append(Frame(pixels: .rgb8(image.pixels), width: 8, height: 4, seq: 1, capture: time, sourceID: "sim"))
        try writer.finish()
        #expect(try PNGCodec.decode(out.read("000001.png")) == image)
        let replayed = try #require(try ReplaySource(path: out.path, options: .init(timing: .fast)).nextFrame())
        #expect(try replayed.rgb() == image)
        #expect(replayed.originalCapture == time)
    }

    @Test func writerRefusesAFolderThatIsNotEmpty() throws {
        let out = ScratchFolder()
        out.write("something.txt", text: "x")
        #expect(throws: RecordingError.outputNotEmpty(out.path)) {
            try RecordingWriter(directory: out.path, meta: RecordingMeta(device: "d", format: "mjpeg", width: 1, height: 1, tool: "t"))
        }
    }

    @Test func originalTimingFollowsTheRecordedIntervals() throws {
        let folder = ScratchFolder()
        let timesMs: [UInt64] = [0, 40, 45, 200, 210]
        _ = try makeRecording(in: folder, timesMs: timesMs)
        let clock = ManualClock()
        let source = try ReplaySource(path: folder.path, options: ReplayOptions(timing: .original), clock: clock)
        var emitted: [UInt64] = []
        while let frame = try source.nextFrame() { emitted.append(frame.capture.monotonicNs) }
        let offsets = emitted.map { ($0 - emitted[0]) / 1_000_000 }
        #expect(offsets == timesMs)
    }

    @Test func originalTimingHoldsOnTheRealClock() throws {
        let folder = ScratchFolder()
        let timesMs: [UInt64] = [0, 60, 80, 200, 260]
        _ = try makeRecording(in: folder, timesMs: timesMs)
        let source = try ReplaySource(path: folder.path, options: ReplayOptions(timing: .original))
        var emitted: [UInt64] = []
        while let frame = try source.nextFrame() { emitted.append(frame.capture.monotonicNs) }
        for (time, want) in zip(emitted, timesMs) {
            let got = Double(time - emitted[0]) / 1e6
            // Never early; late by at most a scheduling hiccup.
            #expect(got >= Double(want) - 0.5 && got <= Double(want) + 25, "frame due at \(want) ms came at \(got) ms")
        }
    }

    @Test func fixedRateAndLoopKeepSequenceAndPace() throws {
        let folder = ScratchFolder()
        _ = try makeRecording(in: folder, timesMs: [0, 500, 900])
        let clock = ManualClock()
        let source = try ReplaySource(path: folder.path, options: ReplayOptions(timing: .fixed(fps: 10), loop: true), clock: clock)
        var frames: [Frame] = []
        for _ in 0..<7 { frames.append(try #require(try source.nextFrame())) }
        #expect(frames.map(\.seq) == [1, 2, 3, 4, 5, 6, 7])
        #expect(frames.map { ($0.capture.monotonicNs - frames[0].capture.monotonicNs) / 1_000_000 } == [0, 100, 200, 300, 400, 500, 600])
        #expect(frames[3].origin == frames[0].origin)
        source.stop()
        #expect(try source.nextFrame() == nil)
        #expect(source.health == .stopped)
    }

    @Test func originalTimingLoopsWithThePeriodOfTheRecording() throws {
        let folder = ScratchFolder()
        _ = try makeRecording(in: folder, timesMs: [0, 100, 200])
        let clock = ManualClock()
        let source = try ReplaySource(path: folder.path, options: ReplayOptions(loop: true), clock: clock)
        var times: [UInt64] = []
        for _ in 0..<5 { times.append(try #require(try source.nextFrame()).capture.monotonicNs) }
        #expect(times.map { ($0 - times[0]) / 1_000_000 } == [0, 100, 200, 300, 400])
    }

    @Test func aTimestampGapOverTheLimitIsReplayedAsOneFramePeriod() throws {
        let folder = ScratchFolder()
        // 10^12 ms (10^18 ns, 31 years) after the first frame, then 40 ms; the recording is 30 fps.
        _ = try makeRecording(in: folder, timesMs: [0, 1_000_000_000_000, 1_000_000_000_040])
        let clock = ManualClock()
        let source = try ReplaySource(path: folder.path, options: ReplayOptions(loop: true), clock: clock)
        var times: [UInt64] = []
        for _ in 0..<6 { times.append(try #require(try source.nextFrame()).capture.monotonicNs) }
        // 33 ms for the gap, the 40 ms kept, and the loop's period the mean of those intervals (integer nanoseconds).
        #expect(times.map { ($0 - times[0]) / 1_000_000 } == [0, 33, 73, 109, 143, 183])
        #expect(clock.sleeps.allSatisfy { $0 <= 50_000_000 }, "waits in slices that notice stop()")
    }

    @Test func theGapLimitIsConfigurableAndShorterGapsAreKept() throws {
        let folder = ScratchFolder()
        _ = try makeRecording(in: folder, timesMs: [0, 3000, 3010, 2000])
        func offsets(_ options: ReplayOptions) throws -> [UInt64] {
            let source = try ReplaySource(path: folder.path, options: options, clock: ManualClock())
            var times: [UInt64] = []
            while let frame = try source.nextFrame() { times.append(frame.capture.monotonicNs) }
            return times.map { ($0 - times[0]) / 1_000_000 }
        }
        // A 3 s gap is under the default 5 s; the step back in time is a discontinuity either way.
        #expect(try offsets(ReplayOptions()) == [0, 3000, 3010, 3043])
        #expect(try offsets(ReplayOptions(maxGapS: 1)) == [0, 33, 43, 76])
        for bad in [0, -1, Double.nan, .infinity] {
            #expect(throws: ReplayError.self) { try ReplaySource(path: folder.path, options: ReplayOptions(maxGapS: bad)) }
        }
    }

    @Test func corruptFramesAreSkippedCountedAndNamed() throws {
        let folder = ScratchFolder()
        let frames = try makeRecording(in: folder, timesMs: [0, 10, 20, 30, 40, 50, 60])
        folder.write("000002.jpg", Array(frames[1].prefix(frames[1].count / 2)))  // truncated
        folder.write("000003.jpg", [UInt8](repeating: 0x42, count: frames[2].count))  // garbage, right size
        folder.write("000004.jpg", [])  // empty
        try FileManager.default.removeItem(atPath: folder.path + "/000005.jpg")  // missing
        // A JPEG cut short but padded back to the recorded size, as a crashed writer leaves it.
        folder.write("000006.jpg", Array(frames[5].prefix(frames[5].count - 300)) + [UInt8](repeating: 0, count: 300))
        var index = String(decoding: folder.read("frames.jsonl"), as: UTF8.self)
        index += "this is not json\n"
        index += #"{"seq":99,"monotonic_ns":1,"realtime_ns":1,"file":"../../etc/passwd","bytes":10}"# + "\n"
        folder.write("frames.jsonl", text: index)

        let log = LogRecorder()
        let source = try ReplaySource(path: folder.path, options: .init(timing: .fast), logger: log.logger)
        var delivered: [String] = []
        while let frame = try source.nextFrame() { delivered.append((frame.origin! as NSString).lastPathComponent) }
        #expect(delivered == ["000001.jpg", "000007.jpg"])
        #expect(source.statistics.skipped == 7)
        #expect(source.badIndexLines == 2)
        for name in ["000002.jpg", "000003.jpg", "000004.jpg", "000005.jpg", "000006.jpg"] {
            #expect(log.messages.contains { $0.contains("skipped a frame") && $0.contains(name) }, "no log naming \(name)")
        }
        #expect(log.messages.contains { $0.contains("line=8") })
    }

    @Test func plainFolderOfImagesReplaysInNameOrder() throws {
        let folder = ScratchFolder()
        let encoder = try JPEGEncoder()
        let a = try SyntheticScene.make(width: 32, height: 24, seed: 1)
        folder.write("b.png", try PNGCodec.encode(a))
        folder.write("a.jpg", try encoder.encode(try SyntheticScene.make(width: 40, height: 30, seed: 2)))
        folder.write("c.JPEG", try encoder.encode(try SyntheticScene.make(width: 16, height: 16, seed: 3)))
        folder.write("notes.txt", text: "ignored")
        folder.write("d.jpg", [0xFF, 0xD8, 0xFF])  // truncated
        let clock = ManualClock()
        let source = try ReplaySource(path: folder.path, options: ReplayOptions(folderFPS: 20), clock: clock)
        #expect(source.meta == nil)
        var frames: [Frame] = []
        while let frame = try source.nextFrame() { frames.append(frame) }
        #expect(frames.map { ($0.origin! as NSString).lastPathComponent } == ["a.jpg", "b.png", "c.JPEG"])
        #expect(frames.map { "\($0.width)x\($0.height)" } == ["40x30", "32x24", "16x16"])
        #expect(frames.map { ($0.capture.monotonicNs - frames[0].capture.monotonicNs) / 1_000_000 } == [0, 50, 100])
        #expect(try frames[1].rgb() == a)
        #expect(frames.allSatisfy { $0.originalCapture == nil })
        #expect(source.statistics.skipped == 1)
    }

    @Test func unusableFoldersAreOneClearError() throws {
        #expect(throws: ReplayError.notFound("/no/such/recording")) {
            try ReplaySource(path: "/no/such/recording")
        }
        let empty = ScratchFolder()
        #expect { try ReplaySource(path: empty.path) } throws: { "\($0)".contains(empty.path) && "\($0)".contains("no .jpg") }
        let emptyIndex = ScratchFolder()
        emptyIndex.write("frames.jsonl", text: "")
        #expect { try ReplaySource(path: emptyIndex.path) } throws: { "\($0)".contains("empty recording") }
        let badMeta = ScratchFolder()
        _ = try makeRecording(in: badMeta, timesMs: [0])
        badMeta.write("meta.json", text: "{ not json")
        #expect { try ReplaySource(path: badMeta.path) } throws: { "\($0)".contains("meta.json") }
        let file = ScratchFolder()
        file.write("x.jpg", [1])
        #expect(throws: ReplayError.notAFolder(file.path + "/x.jpg")) { try ReplaySource(path: file.path + "/x.jpg") }
        #expect(throws: ReplayError.self) { try ReplaySource(path: file.path, options: .init(timing: .fixed(fps: 0))) }
    }

    @Test func allFramesCorruptEndsInsteadOfLoopingForever() throws {
        let folder = ScratchFolder()
        folder.write("a.jpg", [0xFF, 0xD8, 0, 0])
        let source = try ReplaySource(path: folder.path, options: .init(timing: .fast, loop: true))
        #expect(try source.nextFrame() == nil)
        #expect(source.health == .ended)
    }
}
