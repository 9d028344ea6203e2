import CTurboJPEG

/// Decodes JPEG (and camera MJPEG) frames to RGB8 with libturbojpeg.
///
/// A decoder owns a TurboJPEG handle, which is not thread-safe: use one
/// decoder per thread. Decoding a truncated or corrupt frame throws instead of
/// returning a half-grey image: libjpeg's warnings ("premature end of data")
/// are treated as errors because a robot must not act on a damaged picture.
public final class JPEGDecoder {
    private let handle: tjhandle

    public struct Header: Sendable, Equatable {
        public let width: Int
        public let height: Int
    }

    public init() throws(ImagingError) {
        guard let handle = tjInitDecompress() else {
            throw .corruptJPEG("could not create a TurboJPEG decompressor")
        }
        self.handle = handle
    }

    deinit { tjDestroy(handle) }

    /// Reads the frame's size without decoding it.
    public func header(_ jpeg: UnsafeRawBufferPointer) throws(ImagingError) -> Header {
        guard let base = jpeg.baseAddress, jpeg.count > 4 else {
            throw .corruptJPEG("\(jpeg.count) bytes is too short for a JPEG")
        }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = tjDecompressHeader3(
            handle, base.assumingMemoryBound(to: UInt8.self), UInt(jpeg.count),
            &width, &height, &subsampling, &colorspace)
        guard status == 0, width > 0, height > 0 else { throw .corruptJPEG(lastError()) }
        return Header(width: Int(width), height: Int(height))
    }

    public func header(_ jpeg: [UInt8]) throws(ImagingError) -> Header {
        try withBytes(jpeg) { (bytes) throws(ImagingError) in try header(bytes) }
    }

    /// Decodes at a DCT scale; the result is `scale.scaled(width) x scale.scaled(height)`.
    public func decode(_ jpeg: UnsafeRawBufferPointer, scale: JPEGScale = .full) throws(ImagingError) -> RGBImage {
        let header = try header(jpeg)
        let width = scale.scaled(header.width)
        let height = scale.scaled(header.height)
        var status: Int32 = 0
        // No zero-fill: the decoder writes every byte (and a failure discards the array).
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { out, initialized in
            status = tjDecompress2(
                handle, jpeg.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(jpeg.count),
                out.baseAddress, Int32(width), Int32(width * 3), Int32(height),
                Int32(TJPF_RGB.rawValue), TJFLAG_STOPONWARNING)
            initialized = out.count
        }
        guard status == 0 else { throw .corruptJPEG(lastError()) }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    public func decode(_ jpeg: [UInt8], scale: JPEGScale = .full) throws(ImagingError) -> RGBImage {
        try withBytes(jpeg) { (bytes) throws(ImagingError) in try decode(bytes, scale: scale) }
    }

    private func lastError() -> String {
        String(cString: tjGetErrorStr2(handle))
    }
}

/// Encodes RGB8 images as baseline JPEG (used by tests, fixtures and annotated output).
public final class JPEGEncoder {
    private let handle: tjhandle

    public enum Subsampling: Sendable { case s444, s422, s420 }

    public init() throws(ImagingError) {
        guard let handle = tjInitCompress() else {
            throw .encodeFailed("could not create a TurboJPEG compressor")
        }
        self.handle = handle
    }

    deinit { tjDestroy(handle) }

    public func encode(_ image: RGBImage, quality: Int = 90, subsampling: Subsampling = .s422) throws(ImagingError) -> [UInt8] {
        let sampling: TJSAMP = switch subsampling {
        case .s444: TJSAMP_444
        case .s422: TJSAMP_422
        case .s420: TJSAMP_420
        }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(image.width), Int32(image.stride), Int32(image.height),
                Int32(TJPF_RGB.rawValue), &output, &size, Int32(sampling.rawValue),
                Int32(max(1, min(100, quality))), 0)
        }
        defer { if let output { tjFree(output) } }
        guard status == 0, let output else {
            throw .encodeFailed(String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
