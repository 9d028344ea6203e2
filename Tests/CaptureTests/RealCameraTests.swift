import Capture
import Imaging
import Testing

/// Runs against a real webcam when one is plugged in; reported as skipped otherwise.
@Suite(.enabled(if: !DeviceDiscovery.scan().devices.isEmpty, "no V4L2 capture device on this machine"))
struct RealCameraTests {
    @Test func capturesFreshFramesFromTheFirstCamera() throws {
        let device = try #require(DeviceDiscovery.scan().devices.first)
        let camera = V4L2Camera(configuration: CameraConfiguration(device: device.links.first ?? device.path))
        try camera.open()
        defer { camera.stop() }
        var last: Frame?
        for _ in 0..<5 {
            let frame = try #require(try camera.nextFrame())
            let image = try frame.rgb(scale: .quarter)
            #expect(image.width > 0)
            if let last {
                #expect(frame.seq == last.seq + 1)
                #expect(frame.capture.monotonicNs > last.capture.monotonicNs)
            }
            last = frame
        }
        // The frame is fresh: captured less than a second before we got it.
        let now = SystemClock().monotonicNs()
        #expect(now - last!.capture.monotonicNs < 1_000_000_000)
    }
}
