import Foundation

/// Reads a JPEG or PNG file (recognised by its first bytes, not its name) as RGB8.
public enum ImageFile {
    public static func read(_ path: String) throws(ImagingError) -> RGBImage {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable("cannot read image \(path)")
        }
        let bytes = [UInt8](data)
        do {
            if bytes.starts(with: [0xFF, 0xD8]) { return try JPEGDecoder().decode(bytes) }
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNGCodec.decode(bytes) }
        } catch {
            throw .unreadable("\(path): \(error)")
        }
        throw .unreadable("\(path) is neither a JPEG nor a PNG image")
    }
}
