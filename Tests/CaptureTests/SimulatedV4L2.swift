@testable import Capture
import CV4L2Shim
import Imaging
import Foundation
import Synchronization


/// One simulated USB camera.
struct SimulatedCameraModel {
    var card = "Sim Webcam C920"
    var bus = "usb-0000:00:14.0-1"
    var driver = "uvcvideo"
    /// fourcc -> sizes with their frame intervals (as fps).
    var formats: [(fourcc: UInt32, description: String, sizes: [(Int, Int, [Int])])] = [
        (sl_pix_fmt_yuyv(), "YUYV 4:2:2", [(640, 480, [30, 15]), (320, 240, [30]), (1280, 720, [10])]),
        (sl_pix_fmt_mjpeg(), "Motion-JPEG", [(640, 480, [30]), (1280, 720, [30, 15]), (1920, 1080, [30])]),
    ]
    var controls: [SimulatedControl] = SimulatedControl.uvcDefaults
}

struct SimulatedControl {
    var id: UInt32
    var name: String
    var type: UInt32
    var minimum: Int32, maximum: Int32, step: Int32, defaultValue: Int32
    var value: Int32
    var menu: [Int32: String] = [:]
    var flags: UInt32 = 0

    static let uvcDefaults: [SimulatedControl] = [
        .init(id: 0x0098_0900, name: "Brightness", type: V4L2_CTRL_TYPE_INTEGER.rawValue,
              minimum: -64, maximum: 64, step: 1, defaultValue: 0, value: 0),
        .init(id: 0x0098_0918, name: "Power Line Frequency", type: V4L2_CTRL_TYPE_MENU.rawValue,
              minimum: 0, maximum: 2, step: 1, defaultValue: 1, value: 1, menu: [0: "Disabled", 1: "50 Hz", 2: "60 Hz"]),
        .init(id: 0x009A_0901, name: "Auto Exposure", type: V4L2_CTRL_TYPE_MENU.rawValue,
              minimum: 0, maximum: 3, step: 1, defaultValue: 3, value: 3, menu: [1: "Manual Mode", 3: "Aperture Priority Mode"]),
        .init(id: 0x009A_0902, name: "Exposure Time, Absolute", type: V4L2_CTRL_TYPE_INTEGER.rawValue,
              minimum: 3, maximum: 2047, step: 1, defaultValue: 250, value: 250),
        .init(id: 0x0098_090C, name: "White Balance, Automatic", type: V4L2_CTRL_TYPE_BOOLEAN.rawValue,
              minimum: 0, maximum: 1, step: 1, defaultValue: 1, value: 1),
    ]
}

/// A V4L2 driver in memory. It interprets the same `struct v4l2_*` arguments
/// the kernel does, so V4L2Device and V4L2Camera run unchanged on top of it.
/// Frames arrive every `frameIntervalNs` of simulated time while streaming.
final class SimulatedV4L2: V4L2Interface, @unchecked Sendable {
    struct Buffer {
        var memory: UnsafeMutableRawPointer
        var length: Int
        var queued = false
        var filled: (bytes: Int, sequence: UInt32, timestampNs: UInt64, flags: UInt32)?
    }

    struct OpenFile {
        var path: String
        var camera: Int
        var fourcc: UInt32 = 0
        var width = 0, height = 0
        var interval = FrameInterval(numerator: 1, denominator: 30)
        var buffers: [Buffer] = []
        var streaming = false
        var nextFrameNs: UInt64 = 0
        var sequence: UInt32 = 0
        var fillOrder: [Int] = []
    }

    private let lock = NSLockish()
    let clock: ManualClock
    private(set) var cameras: [SimulatedCameraModel]
    /// Device node -> camera index; a missing node is an unplugged camera.
    private var nodes: [String: Int]
    private var links: [String: String] = [:]
    private var files: [Int32: OpenFile] = [:]
    private var nextFD: Int32 = 3
    private var pictures: [String: RGBImage] = [:]
    private var pendingPlugs: [(atNs: UInt64, index: Int, node: String)] = []
    private var stalledUntilNs: UInt64 = 0
    private var opens: [UInt64] = []
    private(set) var calls: [(V4L2Request, String)] = []
    /// When set, the next buffer is flagged V4L2_BUF_FLAG_ERROR.
    var corruptNext = false
    /// When set, the driver skips this many sequence numbers before the next frame.
    var driverDropsNext: UInt32 = 0

    init(cameras: [SimulatedCameraModel] = [SimulatedCameraModel()], clock: ManualClock = ManualClock()) {
        self.cameras = cameras
        self.clock = clock
        self.nodes = Dictionary(uniqueKeysWithValues: cameras.indices.map { ("/dev/video\($0 * 2)", $0) })
    }

    func addLink(_ link: String, to node: String) { lock.run { links[link] = node } }

    /// Pulls the camera: its node disappears and open descriptors fail with ENODEV.
    func unplug(_ node: String) { _ = lock.run { nodes.removeValue(forKey: node) } }

    /// Plugs camera `index` back in, possibly as another node, once simulated time reaches `atNs`.
    func plug(_ index: Int, as node: String, atNs: UInt64 = 0) {
        lock.run { pendingPlugs.append((atNs, index, node)) }
    }

    /// Frames stop until simulated time reaches `untilNs`.
    func stall(untilNs: UInt64) { lock.run { stalledUntilNs = untilNs } }

    /// Simulated times at which a device node was opened.
    var openTimes: [UInt64] { lock.run { opens } }

    /// Called with the lock held: applies plugs that are due.
    private func applyPlugs() {
        let now = clock.monotonicNs()
        for plug in pendingPlugs where plug.atNs <= now { nodes[plug.node] = plug.index }
        pendingPlugs.removeAll { $0.atNs <= now }
    }

    func control(_ name: String, camera: Int = 0) -> Int32? {
        lock.run { cameras[camera].controls.first { $0.name == name }?.value }
    }

    func requests(_ request: V4L2Request) -> Int { lock.run { calls.filter { $0.0 == request }.count } }

    /// Fills `count` queued buffers right now (frames waiting before the consumer looks).
    func deliver(_ count: Int) {
        lock.run {
            for fd in files.keys where files[fd]!.streaming {
                for _ in 0..<count { fill(fd) }
            }
        }
    }

    // MARK: V4L2Interface

    func open(_ path: String) -> Int32 {
        lock.run {
            applyPlugs()
            opens.append(clock.monotonicNs())
            let node = links[path] ?? path
            guard let camera = nodes[node] else { return -ENOENT }
            let fd = nextFD
            nextFD += 1
            files[fd] = OpenFile(path: node, camera: camera)
            return fd
        }
    }

    func close(_ fd: Int32) {
        lock.run {
            for b in files[fd]?.buffers ?? [] { b.memory.deallocate() }
            files[fd] = nil
        }
    }

    func mmap(_ fd: Int32, length: Int, offset: Int64) -> UnsafeMutableRawPointer? {
        lock.run {
            guard let file = files[fd], nodes[file.path] != nil else { return nil }
            let index = Int(offset) / 0x100000
            return file.buffers.indices.contains(index) ? file.buffers[index].memory : nil
        }
    }

    func munmap(_ address: UnsafeMutableRawPointer, length: Int) {}

    func deviceNodes() -> [String] {
        lock.run {
            applyPlugs()
            return nodes.keys.sorted()
        }
    }

    func resolve(_ path: String) -> String? {
        lock.run {
            let node = links[path] ?? path
            return nodes[node] != nil ? node : nil
        }
    }

    func poll(_ fd: Int32, timeoutMs: Int32) -> PollOutcome {
        let outcome: PollOutcome? = lock.run {
            guard var file = files[fd] else { return .failed(errno: EBADF) }
            if nodes[file.path] == nil { return .hangup }
            if file.buffers.contains(where: { $0.filled != nil }) { return .readable }
            guard file.streaming else { return nil }
            let now = clock.monotonicNs()
            if file.nextFrameNs == 0 { file.nextFrameNs = now }
            file.nextFrameNs = max(file.nextFrameNs, stalledUntilNs)
            files[fd] = file
            let wait = file.nextFrameNs > now ? file.nextFrameNs - now : 0
            if wait > UInt64(timeoutMs) * 1_000_000 { return nil }
            clock.advance(wait)
            fill(fd)
            return files[fd]!.buffers.contains(where: { $0.filled != nil }) ? .readable : nil
        }
        if let outcome { return outcome }
        clock.sleep(nanoseconds: UInt64(timeoutMs) * 1_000_000)
        return .timeout
    }

    /// Called with the lock held.
    private func fill(_ fd: Int32) {
        guard var file = files[fd], let index = file.buffers.indices.first(where: { file.buffers[$0].queued }) else { return }
        file.sequence += driverDropsNext
        driverDropsNext = 0
        let key = "\(file.fourcc) \(file.width)x\(file.height)"
        if pictures[key] == nil {
            pictures[key] = SimulatedFrames.image(width: file.width, height: file.height)
        }
        let bytes = SimulatedFrames.frame(fourcc: file.fourcc, picture: pictures[key]!, number: Int(file.sequence))
        let count = min(bytes.count, file.buffers[index].length)
        bytes.withUnsafeBytes { file.buffers[index].memory.copyMemory(from: $0.baseAddress!, byteCount: count) }
        var flags = UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
        if corruptNext {
            flags |= UInt32(V4L2_BUF_FLAG_ERROR)
            corruptNext = false
        }
        file.buffers[index].queued = false
        file.buffers[index].filled = (count, file.sequence, clock.monotonicNs(), flags)
        file.fillOrder.append(index)
        file.sequence += 1
        file.nextFrameNs = clock.monotonicNs() + UInt64(1e9 * Double(file.interval.numerator) / Double(file.interval.denominator))
        files[fd] = file
    }

    func ioctl(_ fd: Int32, _ request: V4L2Request, _ arg: UnsafeMutableRawPointer) -> Int32 {
        lock.run {
            guard var file = files[fd] else { return EBADF }
            calls.append((request, file.path))
            guard nodes[file.path] == file.camera else { return ENODEV }
            let model = cameras[file.camera]
            defer { if files[fd] != nil { files[fd] = file } }
            switch request {
            case .querycap:
                let cap = arg.assumingMemoryBound(to: v4l2_capability.self)
                cap.pointee = v4l2_capability()
                setCString(&cap.pointee.driver, model.driver)
                setCString(&cap.pointee.card, model.card)
                setCString(&cap.pointee.bus_info, model.bus)
                cap.pointee.capabilities = UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING) | UInt32(V4L2_CAP_DEVICE_CAPS)
                cap.pointee.device_caps = UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING)
                return 0
            case .enumFormat:
                let desc = arg.assumingMemoryBound(to: v4l2_fmtdesc.self)
                let i = Int(desc.pointee.index)
                guard i < model.formats.count else { return EINVAL }
                desc.pointee.pixelformat = model.formats[i].fourcc
                desc.pointee.flags = model.formats[i].fourcc == sl_pix_fmt_mjpeg() ? UInt32(V4L2_FMT_FLAG_COMPRESSED) : 0
                setCString(&desc.pointee.description, model.formats[i].description)
                return 0
            case .enumFrameSizes:
                let size = arg.assumingMemoryBound(to: v4l2_frmsizeenum.self)
                guard let format = model.formats.first(where: { $0.fourcc == size.pointee.pixel_format }),
                      Int(size.pointee.index) < format.sizes.count else { return EINVAL }
                let s = format.sizes[Int(size.pointee.index)]
                size.pointee.type = V4L2_FRMSIZE_TYPE_DISCRETE.rawValue
                size.pointee.discrete = v4l2_frmsize_discrete(width: UInt32(s.0), height: UInt32(s.1))
                return 0
            case .enumFrameIntervals:
                let ival = arg.assumingMemoryBound(to: v4l2_frmivalenum.self)
                guard let format = model.formats.first(where: { $0.fourcc == ival.pointee.pixel_format }),
                      let s = format.sizes.first(where: { $0.0 == ival.pointee.width && $0.1 == ival.pointee.height }),
                      Int(ival.pointee.index) < s.2.count else { return EINVAL }
                ival.pointee.type = V4L2_FRMIVAL_TYPE_DISCRETE.rawValue
                ival.pointee.discrete = v4l2_fract(numerator: 1, denominator: UInt32(s.2[Int(ival.pointee.index)]))
                return 0
            case .getFormat, .setFormat:
                let format = arg.assumingMemoryBound(to: v4l2_format.self)
                if request == .setFormat {
                    guard !file.streaming else { return EBUSY }
                    // Like real drivers: fall back to the first format, snap to the nearest listed size.
                    let chosen = model.formats.first { $0.fourcc == format.pointee.fmt.pix.pixelformat } ?? model.formats[0]
                    let w = Int(format.pointee.fmt.pix.width), h = Int(format.pointee.fmt.pix.height)
                    let size = chosen.sizes.min { abs($0.0 - w) + abs($0.1 - h) < abs($1.0 - w) + abs($1.1 - h) }!
                    (file.fourcc, file.width, file.height) = (chosen.fourcc, size.0, size.1)
                }
                format.pointee.fmt.pix.pixelformat = file.fourcc
                format.pointee.fmt.pix.width = UInt32(file.width)
                format.pointee.fmt.pix.height = UInt32(file.height)
                format.pointee.fmt.pix.bytesperline = file.fourcc == sl_pix_fmt_yuyv() ? UInt32(file.width * 2) : 0
                format.pointee.fmt.pix.sizeimage = UInt32(file.width * file.height * 2)
                return 0
            case .getParm, .setParm:
                let parm = arg.assumingMemoryBound(to: v4l2_streamparm.self)
                if request == .setParm {
                    let wanted = parm.pointee.parm.capture.timeperframe
                    let rates = model.formats.first { $0.fourcc == file.fourcc }?.sizes
                        .first { $0.0 == file.width && $0.1 == file.height }?.2 ?? [30]
                    let fps = Double(wanted.denominator) / Double(max(1, wanted.numerator))
                    let best = rates.min { abs(Double($0) - fps) < abs(Double($1) - fps) }!
                    file.interval = FrameInterval(numerator: 1, denominator: UInt32(best))
                }
                parm.pointee.parm.capture.capability = UInt32(V4L2_CAP_TIMEPERFRAME)
                parm.pointee.parm.capture.timeperframe = v4l2_fract(numerator: file.interval.numerator, denominator: file.interval.denominator)
                return 0
            case .queryControl:
                let query = arg.assumingMemoryBound(to: v4l2_queryctrl.self)
                let wanted = query.pointee.id
                let next = wanted & UInt32(V4L2_CTRL_FLAG_NEXT_CTRL) != 0
                let id = wanted & ~UInt32(V4L2_CTRL_FLAG_NEXT_CTRL)
                let sorted = model.controls.sorted { $0.id < $1.id }
                guard let c = next ? sorted.first(where: { $0.id > id }) : sorted.first(where: { $0.id == id }) else { return EINVAL }
                query.pointee = v4l2_queryctrl()
                query.pointee.id = c.id
                query.pointee.type = c.type
                setCString(&query.pointee.name, c.name)
                (query.pointee.minimum, query.pointee.maximum, query.pointee.step, query.pointee.default_value) =
                    (c.minimum, c.maximum, c.step, c.defaultValue)
                query.pointee.flags = c.flags | (inactive(c, model) ? UInt32(V4L2_CTRL_FLAG_INACTIVE) : 0)
                return 0
            case .queryMenu:
                let menu = arg.assumingMemoryBound(to: v4l2_querymenu.self)
                guard let c = model.controls.first(where: { $0.id == menu.pointee.id }),
                      let name = c.menu[Int32(menu.pointee.index)] else { return EINVAL }
                setCString(&menu.pointee.name, name)
                return 0
            case .getControl, .setControl:
                let control = arg.assumingMemoryBound(to: v4l2_control.self)
                guard let i = model.controls.firstIndex(where: { $0.id == control.pointee.id }) else { return EINVAL }
                if request == .setControl {
                    let c = model.controls[i]
                    if inactive(c, model) { return EACCES }
                    guard (c.minimum...c.maximum).contains(control.pointee.value) else { return ERANGE }
                    cameras[file.camera].controls[i].value = control.pointee.value
                } else {
                    control.pointee.value = model.controls[i].value
                }
                return 0
            case .requestBuffers:
                let req = arg.assumingMemoryBound(to: v4l2_requestbuffers.self)
                for b in file.buffers { b.memory.deallocate() }
                file.buffers = (0..<Int(min(req.pointee.count, 8))).map { _ in
                    let length = max(file.width * file.height * 3, 1 << 16)
                    return Buffer(memory: .allocate(byteCount: length, alignment: 64), length: length)
                }
                req.pointee.count = UInt32(file.buffers.count)
                return 0
            case .queryBuffer:
                let buf = arg.assumingMemoryBound(to: v4l2_buffer.self)
                let i = Int(buf.pointee.index)
                guard file.buffers.indices.contains(i) else { return EINVAL }
                buf.pointee.length = UInt32(file.buffers[i].length)
                buf.pointee.m.offset = UInt32(i * 0x100000)
                return 0
            case .queueBuffer:
                let i = Int(arg.assumingMemoryBound(to: v4l2_buffer.self).pointee.index)
                guard file.buffers.indices.contains(i), !file.buffers[i].queued else { return EINVAL }
                file.buffers[i].queued = true
                file.buffers[i].filled = nil
                return 0
            case .dequeueBuffer:
                let buf = arg.assumingMemoryBound(to: v4l2_buffer.self)
                guard let i = file.fillOrder.first else { return EAGAIN }
                file.fillOrder.removeFirst()
                let filled = file.buffers[i].filled!
                buf.pointee.index = UInt32(i)
                buf.pointee.bytesused = UInt32(filled.bytes)
                buf.pointee.flags = filled.flags
                buf.pointee.sequence = filled.sequence
                buf.pointee.timestamp = timeval(tv_sec: Int(filled.timestampNs / 1_000_000_000),
                                                tv_usec: Int(filled.timestampNs % 1_000_000_000 / 1000))
                file.buffers[i].filled = nil
                return 0
            case .streamOn:
                file.streaming = true
                file.nextFrameNs = 0
                return 0
            case .streamOff:
                file.streaming = false
                file.fillOrder.removeAll()
                for i in file.buffers.indices { file.buffers[i].queued = false; file.buffers[i].filled = nil }
                return 0
            }
        }
    }

    /// Exposure time is inactive while automatic exposure is on, as on UVC cameras.
    private func inactive(_ control: SimulatedControl, _ model: SimulatedCameraModel) -> Bool {
        control.name == "Exposure Time, Absolute" && model.controls.first { $0.name == "Auto Exposure" }?.value != 1
    }

    private func setCString<T>(_ field: inout T, _ text: String) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in text.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
    }
}

/// Frame contents the simulated camera sends: a JPEG or YUYV picture whose
/// first pixels encode the driver sequence number, so tests can tell frames apart.
enum SimulatedFrames {
    static func image(width: Int, height: Int) -> RGBImage {
        try! SyntheticScene.make(width: width, height: height, seed: 42, noise: 0)
    }

    /// The sequence number as it reads back from a decoded frame's first pixel.
    static func stamp(_ number: Int) -> UInt8 { UInt8(number % 200 + 20) }

    static func frame(fourcc: UInt32, picture: RGBImage, number: Int) -> [UInt8] {
        var marked = picture
        // A 16x16 block, so the mark survives JPEG and chroma subsampling.
        for y in 0..<16 { for x in 0..<16 { for c in 0..<3 { marked.pixels[(y * picture.width + x) * 3 + c] = stamp(number) } } }
        if fourcc == sl_pix_fmt_mjpeg() { return try! JPEGEncoder().encode(marked, quality: 95) }
        return YUYV.fromRGB(marked)
    }
}

/// A tiny lock helper (the driver is called from the capture thread and the test thread).
final class NSLockish: @unchecked Sendable {
    private let lock = NSLock()
    func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
