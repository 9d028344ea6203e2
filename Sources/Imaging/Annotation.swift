/// A box with a label, drawn on annotated debug frames.
public struct BoxAnnotation: Sendable, Equatable {
    /// `[x0, y0, x1, y1]` in pixels, inclusive of x0/y0, exclusive of x1/y1.
    public var box: [Double]
    public var label: String
    public var color: (UInt8, UInt8, UInt8)

    public init(box: [Double], label: String, color: (UInt8, UInt8, UInt8) = (255, 64, 32)) {
        self.box = box
        self.label = label
        self.color = color
    }

    public static func == (a: BoxAnnotation, b: BoxAnnotation) -> Bool {
        a.box == b.box && a.label == b.label && a.color == b.color
    }
}

/// Pillow's built-in 6x11 bitmap font (printable ASCII; anything else draws as '?').
public enum BitmapFont {
    /// Draws `text` with its top-left corner at (x, y), clipped to the image.
    public static func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int,
                            color: (UInt8, UInt8, UInt8)) {
        let width = image.width, height = image.height
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            var penX = x
            for scalar in text.unicodeScalars {
                let code = (32...126).contains(scalar.value) ? Int(scalar.value) : Int(UInt8(ascii: "?"))
                let glyph = (code - 32) * glyphHeight
                for row in 0..<glyphHeight {
                    let py = y + row
                    guard (0..<height).contains(py) else { continue }
                    let bits = glyphRows[glyph + row]
                    for column in 0..<glyphColumns where bits & (1 << (glyphColumns - 1 - column)) != 0 {
                        let px = penX - 1 + column
                        guard (0..<width).contains(px) else { continue }
                        let i = (py * width + px) * 3
                        pixels[i] = color.0
                        pixels[i + 1] = color.1
                        pixels[i + 2] = color.2
                    }
                }
                penX += glyphWidth
            }
        }
    }

    public static func width(of text: String) -> Int { text.unicodeScalars.count * glyphWidth }
}

extension RGBImage {
    /// Draws each box outline (`thickness` pixels, inside the box) and its label on a
    /// filled strip above the box (below its top edge when there is no room above).
    public mutating func annotate(_ annotations: [BoxAnnotation], thickness: Int = 2) {
        for annotation in annotations where annotation.box.count == 4 {
            let x0 = max(0, min(width - 1, Int(annotation.box[0].rounded())))
            let y0 = max(0, min(height - 1, Int(annotation.box[1].rounded())))
            let x1 = max(x0 + 1, min(width, Int(annotation.box[2].rounded())))
            let y1 = max(y0 + 1, min(height, Int(annotation.box[3].rounded())))
            let t = max(1, thickness)
            fill(x0, y0, x1, min(y1, y0 + t), annotation.color)
            fill(x0, max(y0, y1 - t), x1, y1, annotation.color)
            fill(x0, y0, min(x1, x0 + t), y1, annotation.color)
            fill(max(x0, x1 - t), y0, x1, y1, annotation.color)
            guard !annotation.label.isEmpty else { continue }
            let stripHeight = BitmapFont.glyphHeight + 2
            let top = y0 >= stripHeight ? y0 - stripHeight : y0
            fill(x0, top, min(width, x0 + BitmapFont.width(of: annotation.label) + 4), min(height, top + stripHeight), annotation.color)
            BitmapFont.draw(annotation.label, into: &self, x: x0 + 2, y: top + 1, color: (255, 255, 255))
        }
    }

    /// Fills the rectangle [x0, x1) x [y0, y1), clipped to the image.
    public mutating func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: (UInt8, UInt8, UInt8)) {
        let xa = max(0, x0), xb = min(width, x1), ya = max(0, y0), yb = min(height, y1)
        guard xa < xb, ya < yb else { return }
        let width = self.width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in ya..<yb {
                for x in xa..<xb {
                    let i = (y * width + x) * 3
                    p[i] = color.0
                    p[i + 1] = color.1
                    p[i + 2] = color.2
                }
            }
        }
    }
}
