import CLIP
import Imaging

/// Crops windows straight out of a frame and resizes each into the model's
/// input, normalised and channels-first, with no intermediate image per crop.
///
/// Each window is squashed to the model's square input with an area (box)
/// filter, the way Pillow's `Image.resize(..., BOX, box=window)` does and the
/// way the demo CLIP was trained: every output pixel is the mean of the source
/// pixels whose centres fall in its footprint (the nearest one when enlarging).
/// Separable: a horizontal pass over the rows the window covers into a small
/// float scratch, then a vertical pass that writes the normalised values.
struct WindowSampler {
    let side: Int
    let scale: Float
    let mean: [Float]
    let std: [Float]

    init(preprocessing c: CLIPPreprocessorConfiguration, side: Int) {
        self.side = side
        scale = c.doRescale ? c.rescaleFactor : 1
        mean = c.doNormalize ? c.imageMean : [0, 0, 0]
        std = c.doNormalize ? c.imageStd : [1, 1, 1]
    }

    var floatsPerWindow: Int { 3 * side * side }

    /// Scratch floats a frame of this height needs.
    func scratchCount(frameHeight: Int) -> Int { frameHeight * side * 3 }

    /// Source spans [start, end) along one axis for each of the `side` outputs of a window
    /// starting at `origin` with `length` pixels, clipped to `limit`.
    func taps(origin: Int, length: Int, limit: Int) -> [(start: Int, end: Int)] {
        let step = Double(length) / Double(side)
        let support = max(step, 1) * 0.5
        return (0..<side).map { o in
            let center = Double(origin) + (Double(o) + 0.5) * step
            var start = Int((center - support + 0.5).rounded(.down))
            var end = Int((center + support + 0.5).rounded(.down))
            start = min(max(0, start), limit - 1)
            end = min(limit, max(end, start + 1))
            return (start, end)
        }
    }

    /// Writes `window` (integer pixel box inside the image) into `output` (`floatsPerWindow` floats).
    func sample(
        _ image: UnsafeBufferPointer<UInt8>, width: Int, height: Int,
        window: (x: Int, y: Int, width: Int, height: Int),
        scratch: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) {
        let columns = taps(origin: window.x, length: window.width, limit: width)
        let rows = taps(origin: window.y, length: window.height, limit: height)
        let firstRow = rows[0].start, lastRow = rows[side - 1].end
        let stride = width * 3
        // Horizontal pass: every source row the window needs, `side` averaged pixels each.
        for y in firstRow..<lastRow {
            let source = image.baseAddress! + y * stride
            let line = scratch + (y - firstRow) * side * 3
            for o in 0..<side {
                let (start, end) = columns[o]
                var r: Float = 0, g: Float = 0, b: Float = 0
                var p = source + start * 3
                for _ in start..<end {
                    r += Float(p[0]); g += Float(p[1]); b += Float(p[2])
                    p += 3
                }
                let inverse = 1 / Float(end - start)
                line[o * 3] = r * inverse
                line[o * 3 + 1] = g * inverse
                line[o * 3 + 2] = b * inverse
            }
        }
        // Vertical pass straight into the normalised planes.
        let plane = side * side
        let gain = (0..<3).map { scale / std[$0] }
        let offset = (0..<3).map { mean[$0] / std[$0] }
        for o in 0..<side {
            let (start, end) = rows[o]
            let inverse = 1 / Float(end - start)
            for x in 0..<side {
                var r: Float = 0, g: Float = 0, b: Float = 0
                var p = scratch + (start - firstRow) * side * 3 + x * 3
                for _ in start..<end {
                    r += p[0]; g += p[1]; b += p[2]
                    p += side * 3
                }
                let at = o * side + x
                output[at] = r * inverse * gain[0] - offset[0]
                output[plane + at] = g * inverse * gain[1] - offset[1]
                output[2 * plane + at] = b * inverse * gain[2] - offset[2]
            }
        }
    }
}

/// The multi-scale sliding windows over a frame: square windows whose sides are
/// fractions of the shorter side, stepped by a fraction of the side, the last
/// row and column flush with the frame's edges so every pixel is covered.
func slidingWindows(width: Int, height: Int, scales: [Float], stride: Float) -> [GroundingBox] {
    var boxes: [GroundingBox] = []
    for grid in windowGrids(width: width, height: height, scales: scales, stride: stride) {
        let side = grid.side
        for y in grid.starts(height) {
            for x in grid.starts(width) {
                boxes.append(GroundingBox(x0: Float(x), y0: Float(y), x1: Float(x + side), y1: Float(y + side)))
            }
        }
    }
    return boxes
}

/// How many windows `slidingWindows` gives, computed without making them (a bad scale or
/// stride is caught before anything is allocated).
func slidingWindowCount(width: Int, height: Int, scales: [Float], stride: Float) -> Int {
    windowGrids(width: width, height: height, scales: scales, stride: stride).reduce(0) { total, grid in
        let (product, overflow) = grid.count(width).multipliedReportingOverflow(by: grid.count(height))
        return overflow ? Int.max : total.addingReportingOverflow(product).overflow ? Int.max : total + product
    }
}

/// One scale's windows: their side and the step between them, in pixels.
private struct WindowGrid {
    var side: Int
    var step: Int

    /// Window origins along an axis of `extent` pixels, the last one flush with the edge.
    func starts(_ extent: Int) -> [Int] {
        var values = Array(Swift.stride(from: 0, through: extent - side, by: step))
        if let last = values.last, last != extent - side { values.append(extent - side) }
        return values
    }

    func count(_ extent: Int) -> Int {
        let regular = (extent - side) / step + 1
        return (extent - side) % step == 0 ? regular : regular + 1
    }
}

private func windowGrids(width: Int, height: Int, scales: [Float], stride: Float) -> [WindowGrid] {
    let short = Float(min(width, height))
    return scales.compactMap { scale in
        // Scales and stride are validated to (0, 1], so these conversions are in range.
        let side = max(8, Int((short * scale).rounded()))
        guard side <= width, side <= height else { return nil }
        return WindowGrid(side: side, step: max(1, Int((Float(side) * stride).rounded())))
    }
}
