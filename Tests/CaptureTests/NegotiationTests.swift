@testable import Capture
import Testing

@Suite struct NegotiationTests {
    static let usbCamera: [FormatCapability] = [
        FormatCapability(fourcc: "YUYV", description: "YUYV 4:2:2", compressed: false, sizes: [
            FrameSizeCapability(width: 640, height: 480, intervals: [.init(numerator: 1, denominator: 30)]),
            FrameSizeCapability(width: 1280, height: 720, intervals: [.init(numerator: 1, denominator: 10)]),
            FrameSizeCapability(width: 424, height: 240, intervals: [.init(numerator: 1, denominator: 30)]),
        ]),
        FormatCapability(fourcc: "MJPG", description: "Motion-JPEG", compressed: true, sizes: [
            FrameSizeCapability(width: 1280, height: 720, intervals: [
                .init(numerator: 1, denominator: 30), .init(numerator: 1, denominator: 15)]),
            FrameSizeCapability(width: 1920, height: 1080, intervals: [.init(numerator: 1, denominator: 30)]),
            FrameSizeCapability(width: 320, height: 240, intervals: [.init(numerator: 1, denominator: 30)]),
        ]),
        FormatCapability(fourcc: "H264", description: "H.264", compressed: true, sizes: [
            FrameSizeCapability(width: 1920, height: 1080, intervals: []),
        ]),
    ]

    func choose(_ request: CaptureRequest, _ formats: [FormatCapability] = usbCamera) throws -> NegotiatedFormat {
        try FormatNegotiation.choose(request, from: formats).get()
    }

    @Test func yuyvAtOrBelowVGA() throws {
        let chosen = try choose(CaptureRequest(width: 640, height: 480, fps: 30))
        #expect(chosen.format == .yuyv && chosen.width == 640 && chosen.interval?.fps == 30)
    }

    @Test func mjpegAboveVGA() throws {
        let chosen = try choose(CaptureRequest(width: 1280, height: 720, fps: 15))
        #expect(chosen.format == .mjpeg && chosen.width == 1280 && chosen.interval?.fps == 15)
    }

    @Test func anExactSizeInTheOtherFormatBeatsAResize() throws {
        // 320x240 is VGA-or-smaller (YUYV preferred) but only MJPEG lists it.
        let chosen = try choose(CaptureRequest(width: 320, height: 240))
        #expect(chosen.format == .mjpeg && chosen.width == 320)
    }

    @Test func overrideForcesTheFormat() throws {
        let chosen = try choose(CaptureRequest(width: 1280, height: 720, fps: 30, format: .yuyv))
        #expect(chosen.format == .yuyv && chosen.width == 1280 && chosen.interval?.fps == 10)
    }

    @Test func closestSizeWhenNothingMatches() throws {
        let chosen = try choose(CaptureRequest(width: 1600, height: 900))
        #expect(chosen.format == .mjpeg)
        #expect(chosen.width == 1920 || chosen.width == 1280)
        let small = try choose(CaptureRequest(width: 400, height: 240))
        #expect(small.format == .yuyv && small.width == 424 && small.height == 240)
    }

    @Test func stepwiseSizesSnapToTheStep() throws {
        let stepwise = [FormatCapability(fourcc: "YUYV", description: "", compressed: false, sizes: [
            FrameSizeCapability(
                width: 1920, height: 1080,
                stepwise: .init(minWidth: 16, maxWidth: 1920, stepWidth: 16, minHeight: 16, maxHeight: 1080, stepHeight: 8),
                intervals: []),
        ])]
        let chosen = try choose(CaptureRequest(width: 650, height: 487), stepwise)
        #expect(chosen.width == 640 && chosen.height == 480 && chosen.interval == nil)
    }

    @Test func nothingUsableIsAClearRefusal() {
        let h264Only = [Self.usbCamera[2]]
        #expect {
            try choose(CaptureRequest(), h264Only)
        } throws: { "\($0)".contains("offers no YUYV or MJPEG") && "\($0)".contains("H264") }
        #expect(throws: Rejection.self) { try choose(CaptureRequest(format: .mjpeg), [Self.usbCamera[0]]) }
        #expect(throws: Rejection.self) { try choose(CaptureRequest(width: 0, height: 480)) }
    }

    @Test func controlNamesFollowV4L2Ctl() {
        #expect(CameraControl.normalize("Exposure Time, Absolute") == "exposure_time_absolute")
        #expect(CameraControl.normalize("White Balance Temperature") == "white_balance_temperature")
        #expect(CameraControl.normalize("Power Line Frequency") == "power_line_frequency")
        #expect(CameraControl.normalize("  Gain ") == "gain")
        #expect(controlApplicationOrder(["exposure_time_absolute", "auto_exposure", "gain", "white_balance_automatic"])
            == ["auto_exposure", "white_balance_automatic", "exposure_time_absolute", "gain"])
    }

    @Test func fourccRoundTrip() {
        #expect(fourccString(CameraPixelFormat.mjpeg.fourcc) == "MJPG")
        #expect(fourccString(CameraPixelFormat.yuyv.fourcc) == "YUYV")
        #expect(fourccCode("MJPG") == CameraPixelFormat.mjpeg.fourcc)
        #expect(fourccCode("TOOLONG") == nil)
    }
}
