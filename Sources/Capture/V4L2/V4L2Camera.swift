import CV4L2Shim
import Glibc
import Imaging
public import Logging
import Synchronization

/// How to open and run a V4L2 camera.
public struct CameraConfiguration: Sendable, Equatable {
    /// `/dev/videoN`, or a stable `/dev/v4l/by-id/...` or `/dev/v4l/by-path/...` link.
    public var device: String
    public var request: CaptureRequest
    /// Controls by their v4l2-ctl name ("auto_exposure", "power_line_frequency", ...).
    public var controls: [String: ControlValue]
    /// Driver buffers in the mmap ring. Small on purpose: a consumer must never read a backlog.
    public var bufferCount: Int
    /// With no frame for this long the camera counts as disconnected and is reopened.
    public var frameTimeoutMs: Int
    /// Reopen back-off: starts here, doubles per failure, up to `reconnectMaxMs`.
    public var reconnectInitialMs: Int
    public var reconnectMaxMs: Int

    public init(
        device: String, request: CaptureRequest = CaptureRequest(), controls: [String: ControlValue] = [:],
        bufferCount: Int = 4, frameTimeoutMs: Int = 2000, reconnectInitialMs: Int = 100, reconnectMaxMs: Int = 5000
    ) {
        self.device = device
        self.request = request
        self.controls = controls
        self.bufferCount = bufferCount
        self.frameTimeoutMs = frameTimeoutMs
        self.reconnectInitialMs = reconnectInitialMs
        self.reconnectMaxMs = reconnectMaxMs
    }
}

/// What a camera settled on once it was opened, for logs and recordings.
public struct CameraSession: Sendable, Equatable {
    public var info: DeviceInfo
    public var negotiated: NegotiatedFormat
    /// The frame rate the driver accepted, when it lets one be set.
    public var fps: Double?
    /// Every readable control's value after configuration, by name.
    public var controlValues: [String: Int]
}

/// A V4L2 webcam as a frame source: mmap streaming through libv4l2 with
/// latest-frame semantics and automatic reconnection.
///
/// - Latest frame: each wake-up dequeues every ready buffer, keeps the newest,
///   and requeues the rest at once (counted as dropped), so the consumer never
///   works through a backlog of stale frames.
/// - Timestamps: the driver's CLOCK_MONOTONIC buffer time, mapped to the wall
///   clock by the offset between the two clocks at dequeue.
/// - Hot-plug: ENODEV, EIO, POLLHUP or no frame within `frameTimeoutMs` make the
///   health `disconnected`; the camera then reopens the same device identity
///   (card and bus, even if it comes back as another /dev/videoN) with
///   exponential back-off, re-applies format and controls, and resumes.
public final class V4L2Camera: FrameSource {
    public let sourceID: String
    private let configuration: CameraConfiguration
    private let io: any V4L2Interface
    private let clock: any CaptureClock
    private let logger: Logger
    private let shared = Mutex(Shared())
    /// Touched only by the thread that calls `open()`/`nextFrame()`.
    private let capture: Mutex<CaptureState>

    private struct Shared {
        var health: SourceHealth = .starting
        var statistics = SourceStatistics()
        var stopped = false
        var session: CameraSession?
    }

    private struct CaptureState: ~Copyable {
        var device: V4L2Device?
        var active: V4L2Device.ActiveFormat?
        var identity: String?
        var opened = false
        var seq: UInt64 = 0
        var lastDriverSequence: UInt32?
        var waitStartedNs: UInt64 = 0
        var backoffNs: UInt64
        var nextAttemptNs: UInt64 = 0
    }

    public init(
        configuration: CameraConfiguration, io: any V4L2Interface = LibV4L2(),
        clock: any CaptureClock = SystemClock(), logger: Logger = Logger(label: "sightline.camera")
    ) {
        self.configuration = configuration
        self.io = io
        self.clock = clock
        self.logger = logger
        self.sourceID = "v4l2:\(configuration.device)"
        self.capture = Mutex(CaptureState(backoffNs: UInt64(max(1, configuration.reconnectInitialMs)) * 1_000_000))
    }

    public var health: SourceHealth { shared.withLock { $0.health } }
    public var statistics: SourceStatistics { shared.withLock { $0.statistics } }
    /// The device, format and controls in use (nil before the first open).
    public var session: CameraSession? { shared.withLock { $0.session } }

    public func stop() {
        shared.withLock { $0.stopped = true }
    }

    private var isStopped: Bool { shared.withLock { $0.stopped } }

    /// Opens and configures the camera. Errors here are the user's to fix
    /// (no such device, unsupported format, unknown control) and are thrown;
    /// later disconnects are handled by reconnecting.
    public func open() throws(CameraError) {
        try capture.withLock { (state) throws(CameraError) in
            guard !state.opened else { return }
            try configure(&state, path: configuration.device)
            state.opened = true
        }
    }

    public func nextFrame() throws -> Frame? {
        try open()
        return capture.withLock { state in
            while true {
                if isStopped {
                    closeDevice(&state)
                    shared.withLock { $0.health = .stopped }
                    return nil
                }
                if state.device == nil {
                    reconnect(&state)
                    continue
                }
                if let frame = waitAndDequeue(&state) { return frame }
            }
        }
    }

    // MARK: Opening

    private func configure(_ state: inout CaptureState, path: String) throws(CameraError) {
        let device = try V4L2Device(path: path, io: io)
        do throws(CameraError) {
            let info = try device.info()
            guard info.isCapture, info.canStream else { throw CameraError.notACaptureDevice(path: path) }
            if let identity = state.identity, identity != info.identity {
                throw CameraError.unsupportedFormat(path: path, "is now \(info.identity), not \(identity)")
            }
            let formats = try device.formats()
            let negotiated: NegotiatedFormat
            switch FormatNegotiation.choose(configuration.request, from: formats) {
            case .success(let choice): negotiated = choice
            case .failure(let rejection): throw CameraError.unsupportedFormat(path: path, rejection.reason)
            }
            let active = try device.setFormat(
                fourcc: fourccCode(negotiated.fourcc)!, width: negotiated.width, height: negotiated.height)
            guard CameraPixelFormat(fourcc: active.fourcc) == negotiated.format else {
                throw CameraError.unsupportedFormat(
                    path: path, "asked for \(negotiated.fourcc) but the driver chose \(fourccString(active.fourcc))")
            }
            let interval = negotiated.interval ?? FrameInterval(fps: configuration.request.fps)
            let accepted = try device.setFrameInterval(interval)
            let controlValues = try applyControls(device, path: path)
            try device.startStreaming(bufferCount: configuration.bufferCount)

            var chosen = negotiated
            chosen.width = active.width
            chosen.height = active.height
            let session = CameraSession(info: info, negotiated: chosen, fps: accepted?.fps, controlValues: controlValues)
            state.device = device
            state.active = active
            state.identity = info.identity
            state.lastDriverSequence = nil
            state.waitStartedNs = clock.monotonicNs()
            shared.withLock {
                $0.session = session
                $0.health = .streaming
            }
            logger.info("camera streaming", metadata: [
                "device": "\(path)", "card": "\(info.card)", "bus": "\(info.bus)",
                "format": "\(chosen.fourcc)", "size": "\(active.width)x\(active.height)",
                "fps": "\(accepted.map { String($0.fps) } ?? "driver default")",
            ])
        } catch {
            device.close()
            throw error
        }
    }

    /// Applies configured controls (automatic modes first) and reads every control back.
    private func applyControls(_ device: V4L2Device, path: String) throws(CameraError) -> [String: Int] {
        let controls = try device.controls()
        let byName = Dictionary(controls.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for name in controlApplicationOrder(Array(configuration.controls.keys)) {
            let value = configuration.controls[name]!
            guard let control = byName[CameraControl.normalize(name)] else {
                throw .unknownControl(path: path, name: name, available: controls.map(\.name))
            }
            guard !control.readOnly else {
                throw .invalidControlValue(path: path, name: name, "is read-only")
            }
            let number: Int
            switch control.resolve(value) {
            case .success(let n): number = n
            case .failure(let rejection): throw .invalidControlValue(path: path, name: name, rejection.reason)
            }
            let code = device.setControl(id: control.id, value: number)
            if code == ENODEV || code == EIO {
                throw .ioctlFailed(path: path, request: .setControl, errno: code)
            } else if code != 0 {
                // Typically EACCES/EBUSY: inactive because an automatic mode is on.
                // The camera still works; say so and carry on.
                logger.warning("camera control not applied", metadata: [
                    "device": "\(path)", "control": "\(name)", "value": "\(value)", "error": "\(errnoDescription(code))",
                ])
            }
        }
        var values: [String: Int] = [:]
        for control in controls where control.kind != .button {
            if let value = device.getControl(id: control.id) { values[control.name] = value }
        }
        return values
    }

    // MARK: Streaming

    private func waitAndDequeue(_ state: inout CaptureState) -> Frame? {
        guard let device = state.device else { return nil }
        let waited = clock.monotonicNs() &- state.waitStartedNs
        let timeoutNs = UInt64(configuration.frameTimeoutMs) * 1_000_000
        if waited >= timeoutNs {
            disconnect(&state, reason: "no frame for \(configuration.frameTimeoutMs) ms")
            return nil
        }
        // Short slices so that stop() is noticed promptly.
        let slice = Int32(min(100, (timeoutNs - waited) / 1_000_000 + 1))
        switch device.poll(timeoutMs: slice) {
        case .timeout: return nil
        case .hangup:
            disconnect(&state, reason: "device hung up")
            return nil
        case .failed(let code):
            disconnect(&state, reason: "poll failed: \(errnoDescription(code))")
            return nil
        case .readable: break
        }
        var newest: DequeuedBuffer?
        drain: while true {
            switch device.dequeue() {
            case .empty: break drain
            case .failed(let code):
                disconnect(&state, reason: "VIDIOC_DQBUF: \(errnoDescription(code))")
                return nil
            case .buffer(let buffer):
                countDriverDrops(&state, buffer.sequence)
                if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 || buffer.bytesUsed == 0 {
                    shared.withLock { $0.statistics.skipped += 1 }
                    guard requeue(&state, buffer.index) else { return nil }
                    continue
                }
                if let older = newest {
                    shared.withLock { $0.statistics.dropped += 1 }
                    guard requeue(&state, older.index) else { return nil }
                }
                newest = buffer
            }
        }
        guard let buffer = newest else { return nil }
        let frame = makeFrame(&state, device, buffer)
        guard requeue(&state, buffer.index) else { return nil }
        if frame != nil {
            state.waitStartedNs = clock.monotonicNs()
            shared.withLock { $0.statistics.delivered += 1 }
        } else {
            shared.withLock { $0.statistics.skipped += 1 }
        }
        return frame
    }

    /// Copies the buffer out of the driver's memory (JPEG bytes verbatim, YUYV converted to RGB).
    private func makeFrame(_ state: inout CaptureState, _ device: V4L2Device, _ buffer: DequeuedBuffer) -> Frame? {
        guard let active = state.active, let bytes = device.bytes(of: buffer) else { return nil }
        let now = clock.now()
        let monotonic = buffer.monotonicNs ?? now.monotonicNs
        // Wall-clock time of the same instant: shift by the current offset between the clocks.
        let realtime = UInt64(clamping: Int64(bitPattern: now.realtimeNs) &- Int64(bitPattern: now.monotonicNs &- monotonic))
        let pixels: Frame.Pixels
        switch CameraPixelFormat(fourcc: active.fourcc) {
        case .mjpeg:
            // A camera that lost sync sends garbage; a JPEG starts with SOI (FF D8).
            guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
                logger.debug("camera sent a frame that is not JPEG", metadata: ["bytes": "\(bytes.count)"])
                return nil
            }
            pixels = .jpeg(Array(bytes))
        case .yuyv:
            guard let rgb = try? YUYV.toRGB(
                bytes, width: active.width, height: active.height,
                bytesPerRow: max(active.bytesPerLine, active.width * 2))
            else { return nil }
            pixels = .rgb8(rgb.pixels)
        case nil:
            return nil
        }
        state.seq += 1
        return Frame(
            pixels: pixels, width: active.width, height: active.height, seq: state.seq,
            capture: CaptureTime(monotonicNs: monotonic, realtimeNs: realtime), sourceID: sourceID)
    }

    private func countDriverDrops(_ state: inout CaptureState, _ sequence: UInt32) {
        if let last = state.lastDriverSequence, sequence > last &+ 1 {
            let gap = UInt64(sequence - last - 1)
            shared.withLock { $0.statistics.dropped += gap }
        }
        state.lastDriverSequence = sequence
    }

    private func requeue(_ state: inout CaptureState, _ index: Int) -> Bool {
        do {
            try state.device?.requeue(index)
            return true
        } catch {
            disconnect(&state, reason: error.description)
            return false
        }
    }

    // MARK: Disconnects

    private func disconnect(_ state: inout CaptureState, reason: String) {
        closeDevice(&state)
        state.backoffNs = UInt64(max(1, configuration.reconnectInitialMs)) * 1_000_000
        state.nextAttemptNs = clock.monotonicNs() + state.backoffNs
        shared.withLock { $0.health = .disconnected(reason: reason) }
        logger.warning("camera disconnected", metadata: ["device": "\(configuration.device)", "reason": "\(reason)"])
    }

    private func closeDevice(_ state: inout CaptureState) {
        state.device?.close()
        state.device = nil
        state.active = nil
    }

    /// One reopen attempt when its back-off has passed; otherwise sleeps toward it.
    private func reconnect(_ state: inout CaptureState) {
        let now = clock.monotonicNs()
        if now < state.nextAttemptNs {
            clock.sleep(nanoseconds: min(state.nextAttemptNs - now, 50_000_000))
            return
        }
        var lastError = "no device"
        for path in candidatePaths(identity: state.identity) {
            do {
                try configure(&state, path: path)
                state.backoffNs = UInt64(max(1, configuration.reconnectInitialMs)) * 1_000_000
                shared.withLock { $0.statistics.reconnects += 1 }
                logger.notice("camera reconnected", metadata: ["device": "\(path)"])
                return
            } catch {
                lastError = error.description
            }
        }
        state.nextAttemptNs = clock.monotonicNs() + state.backoffNs
        state.backoffNs = min(state.backoffNs * 2, UInt64(configuration.reconnectMaxMs) * 1_000_000)
        shared.withLock { $0.health = .disconnected(reason: lastError) }
    }

    /// The configured path first (a by-id link follows the camera by itself), then any
    /// other node, since a re-enumerated camera may come back as another /dev/videoN;
    /// `configure` accepts only the same card on the same bus.
    private func candidatePaths(identity: String?) -> [String] {
        var paths = [configuration.device]
        if identity != nil {
            let resolved = io.resolve(configuration.device)
            paths += io.deviceNodes().filter { $0 != configuration.device && $0 != resolved }
        }
        return paths
    }
}
