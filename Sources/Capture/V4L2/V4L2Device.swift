import CV4L2Shim
import Glibc

/// What VIDIOC_QUERYCAP says about a device.
public struct DeviceInfo: Sendable, Equatable, Codable {
    public var path: String
    public var driver: String
    public var card: String
    public var bus: String
    public var isCapture: Bool
    public var canStream: Bool

    /// The identity that survives unplugging: the same camera comes back on the
    /// same bus with the same card name, though maybe as another /dev/videoN.
    public var identity: String { "\(card) @ \(bus)" }
}

/// One dequeued driver buffer.
struct DequeuedBuffer {
    var index: Int
    var bytesUsed: Int
    var flags: UInt32
    var sequence: UInt32
    /// The driver's capture time on CLOCK_MONOTONIC, when the driver says so.
    var monotonicNs: UInt64?
}

/// A typed layer over the ioctls of one open device node. Not thread-safe:
/// a camera owns its device on its capture thread.
final class V4L2Device {
    let path: String
    private let fd: Int32
    private let io: any V4L2Interface
    private var mapped: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false
    private var closed = false

    init(path: String, io: any V4L2Interface) throws(CameraError) {
        let fd = io.open(path)
        guard fd >= 0 else { throw .openFailed(path: path, errno: -fd) }
        self.path = path
        self.fd = fd
        self.io = io
    }

    deinit { close() }

    private func check<T>(_ request: V4L2Request, _ argument: inout T) throws(CameraError) {
        let code = io.call(fd, request, &argument)
        guard code == 0 else { throw .ioctlFailed(path: path, request: request, errno: code) }
    }

    // MARK: Capabilities

    func info() throws(CameraError) -> DeviceInfo {
        var cap = v4l2_capability()
        try check(.querycap, &cap)
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        return DeviceInfo(
            path: path,
            driver: cString(cap.driver),
            card: cString(cap.card),
            bus: cString(cap.bus_info),
            isCapture: caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0,
            canStream: caps & UInt32(V4L2_CAP_STREAMING) != 0)
    }

    func formats() throws(CameraError) -> [FormatCapability] {
        var result: [FormatCapability] = []
        for index in 0..<UInt32(64) {
            var desc = v4l2_fmtdesc()
            desc.index = index
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            let code = io.call(fd, .enumFormat, &desc)
            if code == EINVAL { break }
            guard code == 0 else { throw .ioctlFailed(path: path, request: .enumFormat, errno: code) }
            result.append(FormatCapability(
                fourcc: fourccString(desc.pixelformat),
                description: cString(desc.description),
                compressed: desc.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0,
                sizes: try frameSizes(desc.pixelformat)))
        }
        return result
    }

    private func frameSizes(_ fourcc: UInt32) throws(CameraError) -> [FrameSizeCapability] {
        var sizes: [FrameSizeCapability] = []
        for index in 0..<UInt32(256) {
            var size = v4l2_frmsizeenum()
            size.index = index
            size.pixel_format = fourcc
            let code = io.call(fd, .enumFrameSizes, &size)
            if code == EINVAL { break }
            guard code == 0 else { throw .ioctlFailed(path: path, request: .enumFrameSizes, errno: code) }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let w = Int(size.discrete.width), h = Int(size.discrete.height)
                sizes.append(FrameSizeCapability(width: w, height: h, intervals: try intervals(fourcc, w, h)))
            } else {
                let s = size.stepwise
                let range = FrameSizeCapability.Stepwise(
                    minWidth: Int(s.min_width), maxWidth: Int(s.max_width), stepWidth: max(1, Int(s.step_width)),
                    minHeight: Int(s.min_height), maxHeight: Int(s.max_height), stepHeight: max(1, Int(s.step_height)))
                let w = Int(s.max_width), h = Int(s.max_height)
                sizes.append(FrameSizeCapability(width: w, height: h, stepwise: range, intervals: try intervals(fourcc, w, h)))
                break  // a stepwise description is the only entry
            }
        }
        return sizes
    }

    /// Discrete intervals as listed; for a stepwise range, its two ends.
    func intervals(_ fourcc: UInt32, _ width: Int, _ height: Int) throws(CameraError) -> [FrameInterval] {
        var result: [FrameInterval] = []
        for index in 0..<UInt32(64) {
            var ival = v4l2_frmivalenum()
            ival.index = index
            ival.pixel_format = fourcc
            ival.width = UInt32(width)
            ival.height = UInt32(height)
            let code = io.call(fd, .enumFrameIntervals, &ival)
            if code == EINVAL || code == ENOTTY { break }
            guard code == 0 else { throw .ioctlFailed(path: path, request: .enumFrameIntervals, errno: code) }
            if ival.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                result.append(FrameInterval(numerator: ival.discrete.numerator, denominator: ival.discrete.denominator))
            } else {
                result.append(FrameInterval(numerator: ival.stepwise.min.numerator, denominator: ival.stepwise.min.denominator))
                result.append(FrameInterval(numerator: ival.stepwise.max.numerator, denominator: ival.stepwise.max.denominator))
                break
            }
        }
        return result.filter { $0.numerator > 0 && $0.denominator > 0 }
    }

    // MARK: Format and rate

    struct ActiveFormat: Equatable {
        var fourcc: UInt32
        var width: Int
        var height: Int
        var bytesPerLine: Int
        var imageSize: Int
    }

    /// VIDIOC_S_FMT, returning what the driver actually chose.
    func setFormat(fourcc: UInt32, width: Int, height: Int) throws(CameraError) -> ActiveFormat {
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(width)
        format.fmt.pix.height = UInt32(height)
        format.fmt.pix.pixelformat = fourcc
        format.fmt.pix.field = V4L2_FIELD_ANY.rawValue
        try check(.setFormat, &format)
        let pix = format.fmt.pix
        return ActiveFormat(
            fourcc: pix.pixelformat, width: Int(pix.width), height: Int(pix.height),
            bytesPerLine: Int(pix.bytesperline), imageSize: Int(pix.sizeimage))
    }

    /// VIDIOC_S_PARM; nil when the driver cannot set a frame rate.
    func setFrameInterval(_ interval: FrameInterval) throws(CameraError) -> FrameInterval? {
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        try check(.getParm, &parm)
        guard parm.parm.capture.capability & UInt32(V4L2_CAP_TIMEPERFRAME) != 0 else { return nil }
        parm.parm.capture.timeperframe = v4l2_fract(numerator: interval.numerator, denominator: interval.denominator)
        try check(.setParm, &parm)
        let chosen = parm.parm.capture.timeperframe
        return FrameInterval(numerator: chosen.numerator, denominator: chosen.denominator)
    }

    // MARK: Controls

    func controls() throws(CameraError) -> [CameraControl] {
        var result: [CameraControl] = []
        var query = v4l2_queryctrl()
        query.id = UInt32(V4L2_CTRL_FLAG_NEXT_CTRL)
        while result.count < 512 {
            let code = io.call(fd, .queryControl, &query)
            if code == EINVAL { break }
            guard code == 0 else { throw .ioctlFailed(path: path, request: .queryControl, errno: code) }
            let flags = query.flags
            let type = query.type
            if flags & UInt32(V4L2_CTRL_FLAG_DISABLED) == 0, type != V4L2_CTRL_TYPE_CTRL_CLASS.rawValue {
                var control = CameraControl(
                    id: query.id, label: cString(query.name), kind: .init(v4l2Type: type),
                    minimum: Int(query.minimum), maximum: Int(query.maximum), step: Int(query.step),
                    defaultValue: Int(query.default_value),
                    readOnly: flags & UInt32(V4L2_CTRL_FLAG_READ_ONLY) != 0,
                    inactive: flags & UInt32(V4L2_CTRL_FLAG_INACTIVE) != 0)
                if control.kind == .menu || control.kind == .integerMenu {
                    control.menu = menuItems(query)
                }
                result.append(control)
            }
            query.id |= UInt32(V4L2_CTRL_FLAG_NEXT_CTRL)
        }
        return result
    }

    private func menuItems(_ query: v4l2_queryctrl) -> [CameraControl.MenuItem] {
        guard query.minimum >= 0, query.maximum >= query.minimum, query.maximum - query.minimum < 256 else { return [] }
        var items: [CameraControl.MenuItem] = []
        for index in query.minimum...query.maximum {
            var menu = v4l2_querymenu()
            menu.id = query.id
            menu.index = UInt32(index)
            guard io.call(fd, .queryMenu, &menu) == 0 else { continue }  // gaps are normal
            let name = query.type == V4L2_CTRL_TYPE_INTEGER_MENU.rawValue ? String(menu.value) : cString(menu.name)
            items.append(.init(value: Int(index), name: name))
        }
        return items
    }

    /// Sets a control; returns 0 or errno (callers decide what is fatal).
    func setControl(id: UInt32, value: Int) -> Int32 {
        var control = v4l2_control(id: id, value: Int32(clamping: value))
        return io.call(fd, .setControl, &control)
    }

    func getControl(id: UInt32) -> Int? {
        var control = v4l2_control(id: id, value: 0)
        return io.call(fd, .getControl, &control) == 0 ? Int(control.value) : nil
    }

    // MARK: Streaming

    /// Requests and maps `count` buffers, queues them all, and starts the stream.
    func startStreaming(bufferCount count: Int) throws(CameraError) {
        var request = v4l2_requestbuffers()
        request.count = UInt32(count)
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        try check(.requestBuffers, &request)
        guard request.count >= 2 else {
            throw .unsupportedFormat(path: path, "driver granted only \(request.count) buffers")
        }
        for index in 0..<Int(request.count) {
            var buffer = makeBuffer(index)
            try check(.queryBuffer, &buffer)
            guard let address = io.mmap(fd, length: Int(buffer.length), offset: Int64(buffer.m.offset)) else {
                throw .mmapFailed(path: path, buffer: index)
            }
            mapped.append((address, Int(buffer.length)))
        }
        for index in mapped.indices { try requeue(index) }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try check(.streamOn, &type)
        streaming = true
    }

    enum Dequeue {
        case buffer(DequeuedBuffer)
        case empty
        case failed(errno: Int32)
    }

    func dequeue() -> Dequeue {
        var buffer = makeBuffer(0)
        let code = io.call(fd, .dequeueBuffer, &buffer)
        if code == EAGAIN { return .empty }
        guard code == 0 else { return .failed(errno: code) }
        let timestampKind = buffer.flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK)
        let monotonic: UInt64? = timestampKind == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
            && (buffer.timestamp.tv_sec > 0 || buffer.timestamp.tv_usec > 0)
            ? UInt64(buffer.timestamp.tv_sec) * 1_000_000_000 + UInt64(buffer.timestamp.tv_usec) * 1_000
            : nil
        return .buffer(DequeuedBuffer(
            index: Int(buffer.index), bytesUsed: Int(buffer.bytesused), flags: buffer.flags,
            sequence: buffer.sequence, monotonicNs: monotonic))
    }

    /// The mapped bytes of a dequeued buffer.
    func bytes(of buffer: DequeuedBuffer) -> UnsafeRawBufferPointer? {
        guard mapped.indices.contains(buffer.index) else { return nil }
        let slot = mapped[buffer.index]
        return UnsafeRawBufferPointer(start: slot.address, count: min(buffer.bytesUsed, slot.length))
    }

    func requeue(_ index: Int) throws(CameraError) {
        var buffer = makeBuffer(index)
        try check(.queueBuffer, &buffer)
    }

    func poll(timeoutMs: Int32) -> PollOutcome { io.poll(fd, timeoutMs: timeoutMs) }

    /// Stops streaming, unmaps the buffers and closes the node. Safe to call twice.
    func close() {
        guard !closed else { return }
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = io.call(fd, .streamOff, &type)
            streaming = false
        }
        for slot in mapped { io.munmap(slot.address, length: slot.length) }
        if !mapped.isEmpty {
            // Release the driver's buffers so a reopen can allocate them again.
            var request = v4l2_requestbuffers()
            request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            request.memory = V4L2_MEMORY_MMAP.rawValue
            _ = io.call(fd, .requestBuffers, &request)
        }
        mapped.removeAll()
        io.close(fd)
        closed = true
    }

    private func makeBuffer(_ index: Int) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        return buffer
    }
}

/// A fixed-size C char array (imported as a tuple) as a String.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
