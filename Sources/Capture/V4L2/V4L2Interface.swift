import CV4L2Shim
import Glibc

/// The ioctls Sightline issues, by name (so errors and test doubles can say which).
public enum V4L2Request: String, Sendable, CaseIterable {
    case querycap = "VIDIOC_QUERYCAP"
    case enumFormat = "VIDIOC_ENUM_FMT"
    case enumFrameSizes = "VIDIOC_ENUM_FRAMESIZES"
    case enumFrameIntervals = "VIDIOC_ENUM_FRAMEINTERVALS"
    case getFormat = "VIDIOC_G_FMT"
    case setFormat = "VIDIOC_S_FMT"
    case getParm = "VIDIOC_G_PARM"
    case setParm = "VIDIOC_S_PARM"
    case queryControl = "VIDIOC_QUERYCTRL"
    case queryMenu = "VIDIOC_QUERYMENU"
    case getControl = "VIDIOC_G_CTRL"
    case setControl = "VIDIOC_S_CTRL"
    case requestBuffers = "VIDIOC_REQBUFS"
    case queryBuffer = "VIDIOC_QUERYBUF"
    case queueBuffer = "VIDIOC_QBUF"
    case dequeueBuffer = "VIDIOC_DQBUF"
    case streamOn = "VIDIOC_STREAMON"
    case streamOff = "VIDIOC_STREAMOFF"

    /// The kernel's request code.
    public var code: UInt {
        switch self {
        case .querycap: sl_vidioc_querycap()
        case .enumFormat: sl_vidioc_enum_fmt()
        case .enumFrameSizes: sl_vidioc_enum_framesizes()
        case .enumFrameIntervals: sl_vidioc_enum_frameintervals()
        case .getFormat: sl_vidioc_g_fmt()
        case .setFormat: sl_vidioc_s_fmt()
        case .getParm: sl_vidioc_g_parm()
        case .setParm: sl_vidioc_s_parm()
        case .queryControl: sl_vidioc_queryctrl()
        case .queryMenu: sl_vidioc_querymenu()
        case .getControl: sl_vidioc_g_ctrl()
        case .setControl: sl_vidioc_s_ctrl()
        case .requestBuffers: sl_vidioc_reqbufs()
        case .queryBuffer: sl_vidioc_querybuf()
        case .queueBuffer: sl_vidioc_qbuf()
        case .dequeueBuffer: sl_vidioc_dqbuf()
        case .streamOn: sl_vidioc_streamon()
        case .streamOff: sl_vidioc_streamoff()
        }
    }
}

public enum PollOutcome: Sendable, Equatable {
    case readable
    case timeout
    /// POLLERR/POLLHUP: the device is gone.
    case hangup
    case failed(errno: Int32)
}

/// The seam between Sightline and the kernel's V4L2 API.
///
/// `LibV4L2` is the real thing (through libv4l2, which also converts formats
/// for cameras with exotic ones). Tests substitute a simulated driver that
/// interprets the same `struct v4l2_*` arguments, so everything above this
/// layer (negotiation, streaming, reconnects) runs unchanged against it.
/// Every call returns an errno value instead of throwing: 0 means success.
public protocol V4L2Interface: AnyObject, Sendable {
    /// Opens a device node non-blocking; returns a descriptor or `-errno`.
    func open(_ path: String) -> Int32
    func close(_ fd: Int32)
    /// Issues one ioctl; returns 0 or the errno it failed with.
    func ioctl(_ fd: Int32, _ request: V4L2Request, _ argument: UnsafeMutableRawPointer) -> Int32
    /// Maps a driver buffer; nil on failure.
    func mmap(_ fd: Int32, length: Int, offset: Int64) -> UnsafeMutableRawPointer?
    func munmap(_ address: UnsafeMutableRawPointer, length: Int)
    func poll(_ fd: Int32, timeoutMs: Int32) -> PollOutcome
    /// The video device nodes present now (`/dev/video*`), in numeric order.
    func deviceNodes() -> [String]
    /// Follows symlinks such as `/dev/v4l/by-id/...`; nil when the path does not exist.
    func resolve(_ path: String) -> String?
}

extension V4L2Interface {
    /// `ioctl` over a typed argument.
    func call<T>(_ fd: Int32, _ request: V4L2Request, _ argument: inout T) -> Int32 {
        withUnsafeMutableBytes(of: &argument) { ioctl(fd, request, $0.baseAddress!) }
    }
}

/// The real V4L2 interface, through libv4l2.
public final class LibV4L2: V4L2Interface {
    public init() {}

    public func open(_ path: String) -> Int32 {
        let fd = sl_v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        return fd >= 0 ? fd : -errno
    }

    public func close(_ fd: Int32) { _ = sl_v4l2_close(fd) }

    public func ioctl(_ fd: Int32, _ request: V4L2Request, _ argument: UnsafeMutableRawPointer) -> Int32 {
        sl_v4l2_ioctl(fd, request.code, argument) == 0 ? 0 : errno
    }

    public func mmap(_ fd: Int32, length: Int, offset: Int64) -> UnsafeMutableRawPointer? {
        sl_v4l2_mmap(fd, length, offset)
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) {
        _ = sl_v4l2_munmap(address, length)
    }

    public func poll(_ fd: Int32, timeoutMs: Int32) -> PollOutcome {
        var hangup: Int32 = 0
        let r = sl_poll_readable(fd, timeoutMs, &hangup)
        if r < 0 { return .failed(errno: errno) }
        if hangup != 0 { return .hangup }
        return r == 0 ? .timeout : .readable
    }

    public func deviceNodes() -> [String] {
        guard let dir = opendir("/dev") else { return [] }
        defer { closedir(dir) }
        var numbers: [Int] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name.hasPrefix("video"), let n = Int(name.dropFirst(5)) { numbers.append(n) }
        }
        return numbers.sorted().map { "/dev/video\($0)" }
    }

    public func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// An errno as text: "Device or resource busy (errno 16)".
func errnoDescription(_ code: Int32) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
