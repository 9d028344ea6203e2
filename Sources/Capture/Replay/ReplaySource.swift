import Foundation
import Imaging
public import Logging
import Synchronization

public struct ReplayOptions: Sendable, Equatable {
    public enum Timing: Sendable, Equatable {
        /// The recorded intervals between frames (for a plain folder, `folderFPS`).
        case original
        /// A steady rate, whatever the recording's timing was.
        case fixed(fps: Double)
        /// As fast as frames can be read.
        case fast
    }

    public var timing: Timing
    /// Start again from the first frame after the last (sequence numbers keep increasing).
    public var loop: Bool
    /// The rate of a plain folder of images under `.original` timing (it has no timestamps).
    public var folderFPS: Double
    /// Under `.original` timing, a gap between recorded timestamps longer than this (or one that
    /// goes back in time) is a discontinuity, replayed as one frame period with a warning.
    public var maxGapS: Double

    public init(timing: Timing = .original, loop: Bool = false, folderFPS: Double = 30, maxGapS: Double = 5) {
        self.timing = timing
        self.loop = loop
        self.folderFPS = folderFPS
        self.maxGapS = maxGapS
    }
}

public enum ReplayError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case notAFolder(String)
    case unreadable(String, String)
    case empty(String, String)
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .notFound(let path): "replay: \(path) does not exist"
        case .notAFolder(let path): "replay: \(path) is not a folder (give a recording folder or a folder of .jpg/.png files)"
        case .unreadable(let path, let reason): "replay: cannot read \(path): \(reason)"
        case .empty(let path, let reason): "replay: \(path) \(reason)"
        case .invalidOptions(let reason): "replay: \(reason)"
        }
    }
}

/// Replays a recording folder (`meta.json` + `frames.jsonl`) or a plain
/// folder of `.jpg`/`.png` files in name order.
///
/// Frames are stamped when they are emitted, as a live camera's would be, so
/// latency and deadlines downstream behave exactly as live; the recorded times
/// travel along as `originalCapture`. A frame whose file is missing,
/// truncated or not a valid JPEG/PNG is skipped, counted and logged with its
/// file name; the replay goes on.
public final class ReplaySource: FrameSource {
    public struct Entry: Sendable, Equatable {
        public var file: String
        public var recorded: RecordedFrame?
    }

    public let sourceID: String
    public let directory: String
    /// nil for a plain folder of images.
    public let meta: RecordingMeta?
    public let entries: [Entry]
    /// Index lines that could not be used (malformed JSON, unsafe file names).
    public let badIndexLines: Int
    private let options: ReplayOptions
    /// Under `.original` timing: when each entry is due after the first, discontinuities removed.
    private let offsetsNs: [UInt64]
    private let passDurationNs: UInt64
    private let clock: any CaptureClock
    private let logger: Logger
    private let shared = Mutex(Shared())
    private let cursor = Mutex(Cursor())

    private struct Shared {
        var health: SourceHealth = .starting
        var statistics = SourceStatistics()
        var stopped = false
    }

    private struct Cursor {
        var position = 0  // frames attempted since the start, across loops
        var seq: UInt64 = 0
        var startNs: UInt64?
        var deliveredThisPass = 0
        var decoder: JPEGDecoder?
    }

    public init(
        path: String, options: ReplayOptions = ReplayOptions(), clock: any CaptureClock = SystemClock(),
        logger: Logger = Logger(label: "sightline.replay")
    ) throws(ReplayError) {
        switch options.timing {
        case .fixed(let fps) where !(fps >= 0.001 && fps <= 10_000):
            throw .invalidOptions("fps must be a number from 0.001 to 10000, got \(fps)")
        default: break
        }
        guard options.folderFPS > 0, options.folderFPS <= 10_000 else {
            throw .invalidOptions("fps must be a positive number up to 10000, got \(options.folderFPS)")
        }
        guard options.maxGapS > 0, options.maxGapS <= 86_400 else {
            throw .invalidOptions("the largest timestamp gap must be a positive number of seconds up to 86400, got \(options.maxGapS)")
        }
        switch fileKind(path) {
        case .missing: throw .notFound(path)
        case .directory: break
        default: throw .notAFolder(path)
        }
        var directory = path
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        self.directory = directory
        self.sourceID = "replay:\(directory)"
        self.options = options
        self.clock = clock
        self.logger = logger

        let indexPath = directory + "/" + RecordingLayout.framesFile
        if fileKind(indexPath) == .file {
            (meta, entries, badIndexLines) = try Self.loadRecording(directory, indexPath, logger)
        } else {
            meta = nil
            badIndexLines = 0
            entries = try Self.loadFolder(directory)
        }
        (offsetsNs, passDurationNs) = Self.schedule(entries, options: options, meta: meta, logger: logger)
        shared.withLock { $0.statistics.skipped = UInt64(badIndexLines) }
    }

    public var health: SourceHealth { shared.withLock { $0.health } }
    public var statistics: SourceStatistics { shared.withLock { $0.statistics } }
    public func stop() { shared.withLock { $0.stopped = true } }
    private var isStopped: Bool { shared.withLock { $0.stopped } }

    public func nextFrame() throws -> Frame? {
        cursor.withLock { cursor in
            while true {
                if isStopped {
                    shared.withLock { $0.health = .stopped }
                    return nil
                }
                let pass = cursor.position / entries.count
                let index = cursor.position % entries.count
                if pass > 0, index == 0 {
                    // A whole pass without one good frame would loop forever on skips.
                    guard options.loop, cursor.deliveredThisPass > 0 else {
                        shared.withLock { $0.health = .ended }
                        return nil
                    }
                    cursor.deliveredThisPass = 0
                }
                let start = cursor.startNs ?? clock.monotonicNs()
                cursor.startNs = start
                if let due = dueTime(pass: pass, index: index, start: start), !sleep(until: due) { continue }
                cursor.position += 1
                let entry = entries[index]
                guard let frame = load(entry, seq: cursor.seq + 1, decoder: &cursor.decoder) else { continue }
                cursor.seq += 1
                cursor.deliveredThisPass += 1
                shared.withLock {
                    $0.statistics.delivered += 1
                    $0.health = .streaming
                }
                return frame
            }
        }
    }

    // MARK: Timing

    /// When each entry is due under `.original` timing, relative to the first, and the length of a
    /// pass (the last offset plus the mean interval: where a looped replay starts again). Recorded
    /// intervals are kept; a frame without a timestamp, a gap over `maxGapS` or a step back in time
    /// counts as one frame period (the recording's rate, else `folderFPS`), so a corrupt or
    /// hostile timestamp cannot stall the replay.
    private static func schedule(
        _ entries: [Entry], options: ReplayOptions, meta: RecordingMeta?, logger: Logger
    ) -> (offsets: [UInt64], passDuration: UInt64) {
        let rate = meta?.fps.flatMap { $0 > 0 && $0 <= 10_000 ? $0 : nil } ?? options.folderFPS
        let period = UInt64(1e9 / rate)
        let maxGap = UInt64(options.maxGapS * 1e9)
        var offsets: [UInt64] = []
        offsets.reserveCapacity(entries.count)
        var total: UInt64 = 0, discontinuities = 0
        for (index, entry) in entries.enumerated() {
            if index > 0 {
                var step = period
                if let previous = entries[index - 1].recorded, let this = entry.recorded {
                    if this.monotonicNs >= previous.monotonicNs, this.monotonicNs - previous.monotonicNs <= maxGap {
                        step = this.monotonicNs - previous.monotonicNs
                    } else {
                        discontinuities += 1
                        if discontinuities <= 3 {
                            let gap = Double(this.monotonicNs) / 1e9 - Double(previous.monotonicNs) / 1e9
                            logger.warning("timestamp discontinuity: replayed as one frame period", metadata: [
                                "file": "\(entry.file)", "gap_s": "\(gap)", "max_gap_s": "\(options.maxGapS)",
                            ])
                        }
                    }
                }
                total = total.addingReportingOverflow(step).overflow ? .max : total + step
            }
            offsets.append(total)
        }
        if discontinuities > 3 {
            logger.warning("timestamp discontinuities replayed as one frame period", metadata: ["count": "\(discontinuities)"])
        }
        // One more step after the last frame: the recording's mean interval (its period when it has none).
        let last = entries.count > 1 && total > 0 ? total / UInt64(entries.count - 1) : period
        let pass = total.addingReportingOverflow(last)
        return (offsets, pass.overflow ? .max : pass.partialValue)
    }

    private func dueTime(pass: Int, index: Int, start: UInt64) -> UInt64? {
        switch options.timing {
        case .fast:
            return nil
        case .fixed(let fps):
            return start + UInt64(Double(pass * entries.count + index) * 1e9 / fps)
        case .original:
            let passes = UInt64(pass).multipliedReportingOverflow(by: passDurationNs)
            let passStart = start.addingReportingOverflow(passes.partialValue)
            guard !passes.overflow, !passStart.overflow else { return .max }
            let due = passStart.partialValue.addingReportingOverflow(offsetsNs[index])
            return due.overflow ? .max : due.partialValue
        }
    }

    /// Sleeps in short slices until `due`; false if stopped meanwhile.
    private func sleep(until due: UInt64) -> Bool {
        while true {
            if isStopped { return false }
            let now = clock.monotonicNs()
            if now >= due { return true }
            clock.sleep(nanoseconds: min(due - now, 50_000_000))
        }
    }

    // MARK: Loading frames

    private func load(_ entry: Entry, seq: UInt64, decoder: inout JPEGDecoder?) -> Frame? {
        let path = directory + "/" + entry.file
        func skip(_ reason: String) -> Frame? {
            shared.withLock { $0.statistics.skipped += 1 }
            logger.warning("skipped a frame", metadata: ["file": "\(path)", "reason": "\(reason)"])
            return nil
        }
        let bytes: [UInt8]
        do { bytes = try readFile(path) } catch { return skip(error.description) }
        if let expected = entry.recorded?.bytes, expected != bytes.count {
            return skip("the file has \(bytes.count) bytes but the recording says \(expected) (truncated?)")
        }
        let pixels: Frame.Pixels
        let width: Int, height: Int
        switch FrameFileCheck.inspect(bytes, decoder: &decoder) {
        case .failure(let rejection): return skip(rejection.reason)
        case .success(let found):
            pixels = found.pixels
            (width, height) = (found.width, found.height)
        }
        return Frame(
            pixels: pixels, width: width, height: height, seq: seq, capture: clock.now(),
            originalCapture: entry.recorded?.capture, sourceID: sourceID, origin: path)
    }

    // MARK: Opening

    private static func loadRecording(
        _ directory: String, _ indexPath: String, _ logger: Logger
    ) throws(ReplayError) -> (RecordingMeta?, [Entry], Int) {
        let metaPath = directory + "/" + RecordingLayout.metaFile
        var meta: RecordingMeta?
        if fileKind(metaPath) == .file {
            do {
                meta = try JSONDecoder().decode(RecordingMeta.self, from: Data(try readFile(metaPath)))
            } catch let error as FileError {
                throw .unreadable(metaPath, error.description)
            } catch {
                throw .unreadable(metaPath, "not a valid recording meta.json (\(describe(error)))")
            }
        }
        let index: [UInt8]
        do { index = try readFile(indexPath) } catch { throw .unreadable(indexPath, error.description) }
        var entries: [Entry] = []
        var bad = 0
        let decoder = JSONDecoder()
        for (number, line) in index.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do {
                let frame = try decoder.decode(RecordedFrame.self, from: Data(line))
                guard isSafeRelativeName(frame.file) else {
                    throw ReplayError.unreadable(frame.file, "frame file names must stay inside the recording")
                }
                entries.append(Entry(file: frame.file, recorded: frame))
            } catch {
                bad += 1
                logger.warning("skipped a bad line of the frame index", metadata: [
                    "file": "\(indexPath)", "line": "\(number + 1)", "reason": "\(describe(error))",
                ])
            }
        }
        guard !entries.isEmpty else {
            throw .empty(directory, bad > 0 ? "has no usable frames (\(bad) bad lines in \(RecordingLayout.framesFile))"
                : "is an empty recording (no frames in \(RecordingLayout.framesFile))")
        }
        return (meta, entries, bad)
    }

    private static func loadFolder(_ directory: String) throws(ReplayError) -> [Entry] {
        guard access(directory, R_OK | X_OK) == 0 else {
            throw .unreadable(directory, String(cString: strerror(errno)))
        }
        let images = listDirectory(directory)
            .filter { name in
                let lower = name.lowercased()
                return [".jpg", ".jpeg", ".png"].contains { lower.hasSuffix($0) }
            }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard !images.isEmpty else {
            throw .empty(directory, "has no recording (\(RecordingLayout.framesFile)) and no .jpg or .png frames")
        }
        return images.map { Entry(file: $0, recorded: nil) }
    }

    private static func isSafeRelativeName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("/") && !name.split(separator: "/").contains("..")
    }
}

/// A short reason for a decoding failure, without Foundation's long debug text.
func describe(_ error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context): return context.debugDescription
    case DecodingError.keyNotFound(let key, _): return "missing \"\(key.stringValue)\""
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
        return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
    default: return "\(error)"
    }
}
