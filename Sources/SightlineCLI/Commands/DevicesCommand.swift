import ArgumentParser
import Capture
import Foundation

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List V4L2 cameras with their formats, sizes and frame rates.",
        discussion: """
            Prefer the /dev/v4l/by-id/... link shown for a camera in launch files: it names the same \
            camera after a replug or a reboot, while /dev/videoN numbers can change.
            """)

    @Flag(help: "Print a JSON array (empty when there are no cameras).")
    var json = false

    func run() throws {
        let (devices, problems) = DeviceDiscovery.scan()
        for problem in problems { printError("sightline: warning: \(problem)") }
        if json {
            print(JSONLines.line(devices))
            return
        }
        guard !devices.isEmpty else {
            print("no V4L2 capture devices found")
            return
        }
        for device in devices {
            print("\(device.path)  \(device.card)  (\(device.driver), \(device.bus))")
            for link in device.links { print("  link: \(link)") }
            for format in device.formats {
                print("  \(format.fourcc) \(format.description)")
                for size in format.sizes {
                    let rates = size.intervals.map { formatRate($0.fps) }.joined(separator: ", ")
                    let dims = size.stepwise.map {
                        "\($0.minWidth)x\($0.minHeight) to \($0.maxWidth)x\($0.maxHeight) step \($0.stepWidth)x\($0.stepHeight)"
                    } ?? "\(size.width)x\(size.height)"
                    print("    \(dims)" + (rates.isEmpty ? "" : " @ \(rates) fps"))
                }
            }
            if !device.controls.isEmpty {
                print("  controls: " + device.controls.map(\.name).joined(separator: ", "))
            }
        }
    }

    private func formatRate(_ fps: Double) -> String {
        fps == fps.rounded() ? String(Int(fps)) : String(format: "%.2f", fps)
    }
}
