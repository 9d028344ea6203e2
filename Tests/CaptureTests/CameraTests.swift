@testable import Capture
import CV4L2Shim
import Imaging
import Logging
import Testing

@Suite("V4L2 camera over a simulated driver")
struct CameraTests {
    let driver = SimulatedV4L2()

    func camera(_ configuration: CameraConfiguration) -> V4L2Camera {
        V4L2Camera(configuration: configuration, io: driver, clock: driver.clock)
    }

    /// Reads the sequence stamp from a frame's top-left block.
    func stamp(_ frame: Frame) throws -> UInt8 {
        try frame.rgb().pixels[8 * frame.width * 3 + 8 * 3]
    }

    @Test func negotiatesYUYVAtVGAAndMJPEGAboveIt() throws {
        let vga = camera(CameraConfiguration(device: "/dev/video0"))
        try vga.open()
        #expect(vga.session?.negotiated.format == .yuyv)
        #expect(vga.session?.negotiated.width == 640)
        #expect(vga.session?.fps == 30)
        vga.stop()
        #expect(try vga.nextFrame() == nil)

        let hd = camera(CameraConfiguration(device: "/dev/video0", request: CaptureRequest(width: 1280, height: 720, fps: 30)))
        try hd.open()
        #expect(hd.session?.negotiated.format == .mjpeg)
        #expect(hd.session?.negotiated.height == 720)
        #expect(hd.session?.fps == 30)
        let frame = try #require(try hd.nextFrame())
        guard case .jpeg = frame.pixels else { Issue.record("expected JPEG pixels"); return }
        #expect(frame.width == 1280 && frame.height == 720)
        #expect(try frame.rgb(scale: .quarter).width == 320)
    }

    @Test func formatOverrideIsHonouredOrRefused() throws {
        let forced = camera(CameraConfiguration(device: "/dev/video0", request: CaptureRequest(format: .mjpeg)))
        try forced.open()
        #expect(forced.session?.negotiated.format == .mjpeg)

        var model = SimulatedCameraModel()
        model.formats.removeAll { $0.fourcc == sl_pix_fmt_mjpeg() }
        let yuyvOnly = V4L2Camera(
            configuration: CameraConfiguration(device: "/dev/video0", request: CaptureRequest(format: .mjpeg)),
            io: SimulatedV4L2(cameras: [model]), clock: driver.clock)
        #expect(throws: CameraError.self) { try yuyvOnly.open() }
    }

    @Test func yuyvFramesAreConvertedAndTimestampedFromTheDriver() throws {
        let cam = camera(CameraConfiguration(device: "/dev/video0"))
        let first = try #require(try cam.nextFrame())
        let second = try #require(try cam.nextFrame())
        guard case .rgb8(let pixels) = first.pixels else { Issue.record("expected RGB"); return }
        #expect(pixels.count == 640 * 480 * 3)
        #expect(second.seq == first.seq + 1)
        // 30 fps in simulated time; V4L2 timestamps are timevals, so microseconds.
        #expect(second.capture.monotonicNs - first.capture.monotonicNs == 33_333_000)
        #expect(first.capture.realtimeNs == first.capture.monotonicNs + ManualClock.realtimeOffset)
        #expect(abs(Int(try stamp(first)) - Int(SimulatedFrames.stamp(0))) <= 3)
        #expect(abs(Int(try stamp(second)) - Int(SimulatedFrames.stamp(1))) <= 3)
    }

    @Test func deliversOnlyTheNewestOfSeveralReadyFrames() throws {
        let cam = camera(CameraConfiguration(device: "/dev/video0"))
        _ = try #require(try cam.nextFrame())  // stream running, driver sequence 0 consumed
        driver.deliver(3)  // sequences 1, 2, 3 wait in the queue
        let frame = try #require(try cam.nextFrame())
        #expect(abs(Int(try stamp(frame)) - Int(SimulatedFrames.stamp(3))) <= 3)
        #expect(cam.statistics.dropped == 2)
        #expect(cam.statistics.delivered == 2)
    }

    @Test func countsDriverDropsAndSkipsErrorBuffers() throws {
        let cam = camera(CameraConfiguration(device: "/dev/video0"))
        _ = try cam.nextFrame()
        driver.driverDropsNext = 4
        _ = try cam.nextFrame()
        #expect(cam.statistics.dropped == 4)
        driver.corruptNext = true
        let next = try #require(try cam.nextFrame())
        #expect(cam.statistics.skipped == 1)
        #expect(next.seq == 3)
    }

    @Test func appliesControlsByNameWithAutomaticModesFirst() throws {
        let cam = camera(CameraConfiguration(device: "/dev/video0", controls: [
            "exposure_time_absolute": .integer(100),  // refused while auto exposure is on...
            "auto_exposure": .text("Manual Mode"),     // ...so this must be applied first
            "power_line_frequency": .text("60hz"),
            "brightness": .integer(-10),
            "White Balance, Automatic": .bool(false),
        ]))
        try cam.open()
        #expect(driver.control("Exposure Time, Absolute") == 100)
        #expect(driver.control("Auto Exposure") == 1)
        #expect(driver.control("Power Line Frequency") == 2)
        #expect(driver.control("Brightness") == -10)
        #expect(driver.control("White Balance, Automatic") == 0)
        #expect(cam.session?.controlValues["exposure_time_absolute"] == 100)
    }

    @Test func badControlsAreClearErrors() throws {
        let unknown = camera(CameraConfiguration(device: "/dev/video0", controls: ["zoom": .integer(2)]))
        #expect {
            try unknown.open()
        } throws: { error in
            "\(error)".contains("no control 'zoom'") && "\(error)".contains("brightness")
        }
        let outOfRange = camera(CameraConfiguration(device: "/dev/video0", controls: ["brightness": .integer(500)]))
        #expect(throws: CameraError.self) { try outOfRange.open() }
        let badMenu = camera(CameraConfiguration(device: "/dev/video0", controls: ["power_line_frequency": .text("55 Hz")]))
        #expect { try badMenu.open() } throws: { "\($0)".contains("50 Hz") }
    }

    @Test func missingDeviceIsAClearError() {
        let cam = camera(CameraConfiguration(device: "/dev/video7"))
        #expect { try cam.open() } throws: { "\($0)".contains("/dev/video7") }
    }

    @Test func reconnectsAfterUnplugWithBackoffAndReappliesConfiguration() throws {
        let cam = camera(CameraConfiguration(
            device: "/dev/video0", controls: ["brightness": .integer(12)], reconnectInitialMs: 100, reconnectMaxMs: 400))
        _ = try #require(try cam.nextFrame())
        let unpluggedAt = driver.clock.monotonicNs()
        driver.unplug("/dev/video0")
        driver.plug(0, as: "/dev/video0", atNs: unpluggedAt + 1_000_000_000)
        let frame = try #require(try cam.nextFrame())
        #expect(cam.health == .streaming)
        #expect(cam.statistics.reconnects == 1)
        #expect(frame.seq == 2)
        #expect(driver.control("Brightness") == 12)
        #expect(driver.requests(.setFormat) == 2)
        #expect(driver.requests(.streamOn) == 2)
        // Reopen attempts back off 100, 200, 400 ms, then stay at the 400 ms maximum.
        let attempts = driver.openTimes.dropFirst().map { Int(($0 - unpluggedAt) / 1_000_000) }
        #expect(attempts == [100, 200, 400, 800, 1200])
    }

    @Test func followsTheSameCameraToANewNodeButNotAnotherCamera() throws {
        var other = SimulatedCameraModel()
        other.card = "Other Cam"
        other.bus = "usb-0000:00:14.0-2"
        let driver = SimulatedV4L2(cameras: [SimulatedCameraModel(), other])
        let cam = V4L2Camera(configuration: CameraConfiguration(device: "/dev/video0"), io: driver, clock: driver.clock)
        _ = try #require(try cam.nextFrame())
        driver.unplug("/dev/video0")
        driver.plug(0, as: "/dev/video4")  // re-enumerated under another number
        let frame = try #require(try cam.nextFrame())
        #expect(frame.seq == 2)
        #expect(cam.session?.info.path == "/dev/video4")
        #expect(cam.session?.info.card == "Sim Webcam C920")
    }

    @Test func aStalledCameraIsReportedAndReopened() throws {
        let log = LogRecorder()
        let cam = V4L2Camera(
            configuration: CameraConfiguration(device: "/dev/video0", frameTimeoutMs: 500),
            io: driver, clock: driver.clock, logger: log.logger)
        let first = try #require(try cam.nextFrame())
        driver.stall(untilNs: first.capture.monotonicNs + 2_000_000_000)
        let next = try #require(try cam.nextFrame())
        #expect(next.capture.monotonicNs >= first.capture.monotonicNs + 2_000_000_000)
        #expect(cam.statistics.reconnects >= 1)
        #expect(log.messages.contains { $0.contains("camera disconnected") && $0.contains("no frame for 500 ms") })
    }

    @Test func stopEndsABlockedRead() async throws {
        let cam = camera(CameraConfiguration(device: "/dev/video0"))
        _ = try cam.nextFrame()
        driver.unplug("/dev/video0")
        let blocked = Task.detached { try cam.nextFrame() }
        while cam.health.name != "disconnected" { try await Task.sleep(for: .milliseconds(1)) }
        cam.stop()
        #expect(try await blocked.value == nil)
        #expect(cam.health == .stopped)
    }

    @Test func byIdLinksAreFollowed() throws {
        driver.addLink("/dev/v4l/by-id/usb-Sim_Webcam-video-index0", to: "/dev/video0")
        let cam = camera(CameraConfiguration(device: "/dev/v4l/by-id/usb-Sim_Webcam-video-index0"))
        let frame = try #require(try cam.nextFrame())
        #expect(frame.sourceID == "v4l2:/dev/v4l/by-id/usb-Sim_Webcam-video-index0")
    }

    @Test func discoveryListsCapabilities() {
        let (devices, problems) = DeviceDiscovery.scan(io: driver, linkDirectories: [])
        #expect(problems.isEmpty)
        let device = try! #require(devices.first)
        #expect(device.card == "Sim Webcam C920")
        let mjpeg = device.formats.first { $0.fourcc == "MJPG" }
        #expect(mjpeg?.compressed == true)
        #expect(mjpeg?.sizes.map { "\($0.width)x\($0.height)" } == ["640x480", "1280x720", "1920x1080"])
        #expect(mjpeg?.sizes[1].intervals.map(\.fps) == [30, 15])
        #expect(device.controls.map(\.name).contains("power_line_frequency"))
    }
}
