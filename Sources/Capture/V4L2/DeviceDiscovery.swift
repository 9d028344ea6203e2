/// One capture device as `sightline devices` lists it.
public struct DiscoveredDevice: Sendable, Equatable, Codable {
    public var path: String
    /// Stable links that point at this node (`/dev/v4l/by-id/...`), best for configuration.
    public var links: [String]
    public var driver: String
    public var card: String
    public var bus: String
    public var formats: [FormatCapability]
    public var controls: [CameraControl]
}

public enum DeviceDiscovery {
    /// Every V4L2 node that captures video. Metadata nodes (UVC cameras expose
    /// two /dev/video nodes each) are left out; nodes that cannot be opened
    /// (busy, no permission) are reported through `problems` instead of failing
    /// the listing. No cameras is an empty list, not an error.
    public static func scan(
        io: any V4L2Interface = LibV4L2(), linkDirectories: [String] = ["/dev/v4l/by-id", "/dev/v4l/by-path"]
    ) -> (devices: [DiscoveredDevice], problems: [String]) {
        var devices: [DiscoveredDevice] = []
        var problems: [String] = []
        let links = stableLinks(io: io, directories: linkDirectories)
        for path in io.deviceNodes() {
            do {
                let device = try V4L2Device(path: path, io: io)
                defer { device.close() }
                let info = try device.info()
                guard info.isCapture else { continue }
                devices.append(DiscoveredDevice(
                    path: path, links: links[path] ?? [], driver: info.driver, card: info.card, bus: info.bus,
                    formats: try device.formats(), controls: (try? device.controls()) ?? []))
            } catch {
                problems.append(error.description)
            }
        }
        return (devices, problems)
    }

    private static func stableLinks(io: any V4L2Interface, directories: [String]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for directory in directories {
            for name in listDirectory(directory).sorted() {
                let link = directory + "/" + name
                if let target = io.resolve(link) { result[target, default: []].append(link) }
            }
        }
        return result
    }
}
