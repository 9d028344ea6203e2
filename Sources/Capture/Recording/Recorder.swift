/// Runs a source into a recording until a frame or time limit, the end of
/// the source, or `stop()` on the source. Blocking: call it on a dedicated thread.
public enum Recorder {
    public struct Limits: Sendable, Equatable {
        public var frames: Int?
        public var seconds: Double?
        public init(frames: Int? = nil, seconds: Double? = nil) {
            self.frames = frames
            self.seconds = seconds
        }
    }

    public struct Progress: Sendable, Equatable {
        public var frames: Int
        public var bytes: Int
        public var elapsedSeconds: Double
        public var source: SourceStatistics
    }

    @discardableResult
    public static func record(
        from source: any FrameSource, into writer: RecordingWriter, limits: Limits,
        clock: any CaptureClock = SystemClock(), progress: (Progress) -> Void = { _ in }
    ) throws -> Progress {
        let start = clock.monotonicNs()
        func snapshot() -> Progress {
            Progress(
                frames: writer.frameCount, bytes: writer.bytesWritten,
                elapsedSeconds: Double(clock.monotonicNs() - start) / 1e9, source: source.statistics)
        }
        while true {
            if let maxFrames = limits.frames, writer.frameCount >= maxFrames { break }
            if let seconds = limits.seconds, snapshot().elapsedSeconds >= seconds { break }
            guard let frame = try source.nextFrame() else { break }
            try writer.append(frame)
            progress(snapshot())
        }
        try writer.finish()
        return snapshot()
    }
}
