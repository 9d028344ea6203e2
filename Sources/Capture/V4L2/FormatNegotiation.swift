import Foundation

/// What the user asked the camera for.
public struct CaptureRequest: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    public var fps: Double
    /// nil chooses by size: MJPEG above 640x480, YUYV at or below.
    public var format: CameraPixelFormat?

    public init(width: Int = 640, height: Int = 480, fps: Double = 30, format: CameraPixelFormat? = nil) {
        self.width = width
        self.height = height
        self.fps = fps
        self.format = format
    }
}

/// The format, size and rate chosen from what a device offers.
public struct NegotiatedFormat: Sendable, Equatable, Codable {
    public var format: CameraPixelFormat
    public var fourcc: String
    public var width: Int
    public var height: Int
    /// nil when the device lists no frame intervals for the size.
    public var interval: FrameInterval?
}

public enum FormatNegotiation {
    /// Largest frame (in pixels) for which uncompressed YUYV is preferred.
    /// Above it, USB 2 bandwidth makes YUYV slow (a 1280x720 YUYV stream is
    /// typically capped near 10 fps), so MJPEG is preferred.
    public static let yuyvPixelLimit = 640 * 480

    public static func choose(_ request: CaptureRequest, from formats: [FormatCapability]) -> Result<NegotiatedFormat, Rejection> {
        guard request.width > 0, request.height > 0, request.fps > 0 else {
            return .failure(Rejection("invalid request \(request.width)x\(request.height) at \(request.fps) fps"))
        }
        let offered = formats.filter { $0.pixelFormat != nil && !$0.sizes.isEmpty }
        let offeredNames = formats.map(\.fourcc).joined(separator: ", ")
        let order: [CameraPixelFormat]
        if let forced = request.format {
            order = [forced]
        } else {
            order = request.width * request.height > yuyvPixelLimit ? [.mjpeg, .yuyv] : [.yuyv, .mjpeg]
        }
        let candidates = order.compactMap { wanted in offered.first { $0.pixelFormat == wanted } }
        guard !candidates.isEmpty else {
            let wanted = order.map { $0.rawValue.uppercased() }.joined(separator: " or ")
            return .failure("the camera offers no \(wanted) (it offers: \(offeredNames.isEmpty ? "nothing" : offeredNames))")
        }
        // An exact size in a less-preferred format beats a resize in the preferred one.
        let chosen = candidates.first { format in format.sizes.contains { fits($0, request) } } ?? candidates[0]
        let size = closestSize(in: chosen.sizes, to: request)
        return .success(NegotiatedFormat(
            format: chosen.pixelFormat!, fourcc: chosen.fourcc,
            width: size.width, height: size.height,
            interval: closestInterval(in: size.capability.intervals, to: request.fps)))
    }

    private static func fits(_ size: FrameSizeCapability, _ request: CaptureRequest) -> Bool {
        if let range = size.stepwise {
            return (range.minWidth...range.maxWidth).contains(request.width)
                && (range.minHeight...range.maxHeight).contains(request.height)
                && (request.width - range.minWidth) % range.stepWidth == 0
                && (request.height - range.minHeight) % range.stepHeight == 0
        }
        return size.width == request.width && size.height == request.height
    }

    /// The listed size closest to the request in log-scale width and height,
    /// so that a 2x-too-big and a 2x-too-small frame count the same; ties go to the larger.
    private static func closestSize(
        in sizes: [FrameSizeCapability], to request: CaptureRequest
    ) -> (width: Int, height: Int, capability: FrameSizeCapability) {
        var best: (width: Int, height: Int, capability: FrameSizeCapability, cost: Double)?
        for size in sizes {
            var w = size.width, h = size.height
            if let r = size.stepwise {
                w = snap(request.width, r.minWidth, r.maxWidth, r.stepWidth)
                h = snap(request.height, r.minHeight, r.maxHeight, r.stepHeight)
            }
            let cost = abs(log(Double(w) / Double(request.width))) + abs(log(Double(h) / Double(request.height)))
            if best == nil || cost < best!.cost - 1e-9 || (abs(cost - best!.cost) <= 1e-9 && w * h > best!.width * best!.height) {
                best = (w, h, size, cost)
            }
        }
        return (best!.width, best!.height, best!.capability)
    }

    private static func snap(_ value: Int, _ low: Int, _ high: Int, _ step: Int) -> Int {
        let clamped = min(max(value, low), high)
        return low + (clamped - low) / step * step
    }

    private static func closestInterval(in intervals: [FrameInterval], to fps: Double) -> FrameInterval? {
        intervals.min { abs($0.fps - fps) < abs($1.fps - fps) }
    }
}
