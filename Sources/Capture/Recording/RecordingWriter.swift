import Foundation
import Imaging

public enum RecordingError: Error, Equatable, CustomStringConvertible {
    case outputNotEmpty(String)
    case cannotCreate(String, String)
    case writeFailed(String, String)

    public var description: String {
        switch self {
        case .outputNotEmpty(let path): "output folder \(path) is not empty; choose a new folder"
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

/// Writes frames in the recording format. JPEG frames are stored byte for
/// byte as they arrived (no re-encode); RGB frames are stored as PNG.
/// `meta.json` is written at the start, so even an interrupted recording
/// replays, and again by `finish()` with the frame count.
public final class RecordingWriter {
    public let directory: String
    public private(set) var meta: RecordingMeta
    public private(set) var frameCount = 0
    public private(set) var bytesWritten = 0
    private let index: FileHandle
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    public init(directory: String, meta: RecordingMeta) throws(RecordingError) {
        self.directory = directory
        self.meta = meta
        switch fileKind(directory) {
        case .missing:
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .cannotCreate(directory, error.localizedDescription)
            }
        case .directory:
            guard listDirectory(directory).isEmpty else { throw .outputNotEmpty(directory) }
        case .file, .other:
            throw .cannotCreate(directory, "it exists and is not a folder")
        }
        let indexPath = directory + "/" + RecordingLayout.framesFile
        guard FileManager.default.createFile(atPath: indexPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: indexPath)
        else { throw .cannotCreate(indexPath, "cannot create the frame index") }
        self.index = handle
        try writeMeta()
    }

    deinit { try? index.close() }

    /// Appends one frame; returns its index line.
    @discardableResult
    public func append(_ frame: Frame) throws(RecordingError) -> RecordedFrame {
        let number = String(frameCount + 1)
        let stem = String(repeating: "0", count: max(0, 6 - number.count)) + number
        let (name, bytes): (String, [UInt8])
        switch frame.pixels {
        case .jpeg(let data): (name, bytes) = (stem + ".jpg", data)
        case .png(let data): (name, bytes) = (stem + ".png", data)
        case .rgb8:
            do {
                (name, bytes) = (stem + ".png", try PNGCodec.encode(try frame.rgb()))
            } catch {
                throw .writeFailed(directory + "/" + stem + ".png", error.description)
            }
        }
        let path = directory + "/" + name
        do {
            try writeFile(path, bytes)
        } catch {
            throw .writeFailed(path, error.description)
        }
        // A recording of a replay keeps the original capture times.
        let time = frame.originalCapture ?? frame.capture
        let line = RecordedFrame(
            seq: frame.seq, monotonicNs: time.monotonicNs, realtimeNs: time.realtimeNs, file: name, bytes: bytes.count)
        do {
            var json = try encoder.encode(line)
            json.append(UInt8(ascii: "\n"))
            try index.write(contentsOf: json)
        } catch {
            throw .writeFailed(directory + "/" + RecordingLayout.framesFile, error.localizedDescription)
        }
        frameCount += 1
        bytesWritten += bytes.count
        return line
    }

    /// Flushes the index and rewrites `meta.json` with the frame count.
    public func finish() throws(RecordingError) {
        do { try index.synchronize() } catch {
            throw .writeFailed(directory + "/" + RecordingLayout.framesFile, error.localizedDescription)
        }
        meta.frames = frameCount
        try writeMeta()
    }

    private func writeMeta() throws(RecordingError) {
        let path = directory + "/" + RecordingLayout.metaFile
        do {
            let pretty = JSONEncoder()
            pretty.outputFormatting = [.sortedKeys, .prettyPrinted]
            try writeFile(path, Array(try pretty.encode(meta)) + [UInt8(ascii: "\n")])
        } catch let error as FileError {
            throw .writeFailed(path, error.description)
        } catch {
            throw .writeFailed(path, "\(error)")
        }
    }
}
