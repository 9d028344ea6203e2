import Imaging

/// Cheap structural checks that catch truncated and garbage frame files
/// before they reach a model, without decoding the pixels.
enum FrameFileCheck {
    struct Found {
        var pixels: Frame.Pixels
        var width: Int
        var height: Int
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let pngEnd: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    static func inspect(_ bytes: [UInt8], decoder: inout JPEGDecoder?) -> Result<Found, Rejection> {
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            // A complete JPEG ends with EOI (FF D9); cameras may pad with zeros after it.
            var end = bytes.count
            while end > 2, bytes[end - 1] == 0 { end -= 1 }
            guard end >= 4, bytes[end - 2] == 0xFF, bytes[end - 1] == 0xD9 else {
                return .failure(Rejection("JPEG has no end-of-image marker (truncated)"))
            }
            do {
                if decoder == nil { decoder = try JPEGDecoder() }
                let header = try decoder!.header(bytes)
                return .success(Found(pixels: .jpeg(bytes), width: header.width, height: header.height))
            } catch {
                return .failure(Rejection(error.description))
            }
        }
        if bytes.starts(with: pngSignature) {
            // IHDR must come first, and IEND must close the file.
            guard bytes.count >= 45, Array(bytes[12..<16]) == Array("IHDR".utf8) else {
                return .failure(Rejection("PNG has no IHDR chunk"))
            }
            guard Array(bytes.suffix(12)) == pngEnd else { return .failure(Rejection("PNG has no IEND chunk (truncated)")) }
            let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
            guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
                return .failure(Rejection("PNG size \(width)x\(height) is implausible"))
            }
            return .success(Found(pixels: .png(bytes), width: width, height: height))
        }
        return .failure(Rejection(bytes.isEmpty ? "empty file" : "neither JPEG nor PNG"))
    }
}
