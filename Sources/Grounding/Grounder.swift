public import CLIP
import Foundation
public import Imaging
public import Tokenizers

/// Finds a phrase ("a red cube") in a frame with CLIP, or abstains.
///
/// Every multi-scale sliding window of the frame is cropped and resized straight
/// into the model's input and encoded in one batch. Each window's score is
/// calibrated: a softmax over the target phrase, the distractors (the rest of the
/// scene vocabulary, minus paraphrases of the target) and background prompts, so
/// a window scores high only when the target explains it better than anything
/// else named. Non-maximum suppression leaves the best separate regions; the
/// answer is `not_found` when the best is under the threshold and `ambiguous`
/// when a separate rival scores too close. A prior box (the previous answer)
/// adds a continuity bonus to the ranking.
///
/// `ground` is long BLAS work: call it from a dedicated thread, never the
/// cooperative pool. Calls are serialised (the batch buffers are shared).
public final class Grounder: @unchecked Sendable {
    public let model: CLIPModel
    public let configuration: GroundingConfiguration
    /// The scene vocabulary: every phrase is a distractor for the others.
    public let vocabulary: [String]
    private let prompts: ZeroShotClassifier
    private let sampler: WindowSampler
    private let lock = NSLock()
    private var pixels: UnsafeMutablePointer<Float>?
    private var pixelCapacity = 0
    private var scratch: UnsafeMutablePointer<Float>?
    private var scratchCapacity = 0

    public init(
        model: CLIPModel, tokenizer: any Tokenizer, vocabulary: [String] = [],
        configuration: GroundingConfiguration = GroundingConfiguration()
    ) throws(CLIPError) {
        if let problem = configuration.validate() { throw .invalidInput("grounding configuration: \(problem)") }
        self.model = model
        self.configuration = configuration
        self.vocabulary = vocabulary.map(Self.clean).filter { !$0.isEmpty }
        prompts = try ZeroShotClassifier(model: model, tokenizer: tokenizer, templates: configuration.templates)
        sampler = WindowSampler(preprocessing: model.preprocessor.configuration, side: model.configuration.vision.imageSize)
    }

    deinit {
        pixels?.deallocate()
        scratch?.deallocate()
    }

    static func clean(_ phrase: String) -> String {
        phrase.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The labels a target is scored against: the target first, then the vocabulary
    /// (without the target and its paraphrases), then the background prompts.
    func labels(for target: String) throws(CLIPError) -> [String] {
        let key = target.lowercased()
        let candidates = vocabulary.filter { $0.lowercased() != key }
        let all = [target] + candidates
        let embeddings = try prompts.labelEmbeddings(all)
        var kept = [target]
        for (i, label) in candidates.enumerated() {
            var cosine: Float = 0
            for k in embeddings[0].indices { cosine += embeddings[0][k] * embeddings[i + 1][k] }
            if cosine < configuration.paraphraseSimilarity { kept.append(label) }
        }
        for background in configuration.backgroundPrompts where !kept.contains(background) { kept.append(background) }
        return kept
    }

    /// Grounds `phrase` in `image`.
    /// - Parameter prior: the box this phrase had in the previous frame, if tracking.
    public func ground(_ phrase: String, in image: RGBImage, prior: GroundingBox? = nil) throws(CLIPError) -> GroundingResult {
        let target = Self.clean(phrase)
        guard !target.isEmpty else { throw .invalidInput("the phrase to ground is empty") }
        let c = configuration
        let count = slidingWindowCount(width: image.width, height: image.height, scales: c.windowScales, stride: c.stride)
        guard count <= c.maxWindows else {
            throw .invalidInput("a \(image.width)x\(image.height) image gives \(count) grounding windows, more than \(c.maxWindows); use larger window scales or a larger stride")
        }
        let windows = slidingWindows(width: image.width, height: image.height, scales: c.windowScales, stride: c.stride)
        guard !windows.isEmpty else {
            throw .invalidInput("a \(image.width)x\(image.height) image is too small for the grounding windows")
        }
        let labels = try labels(for: target)
        let textEmbeddings = try prompts.labelEmbeddings(labels)
        let (imageEmbeddings, patchEmbeddings) = try embed(windows, of: image, patches: c.dense)
        let logits = model.logits(images: imageEmbeddings, texts: textEmbeddings)
        var candidates: [GroundingResult.Region] = windows.indices.map { i in
            let p = softmax(logits[i])[0]
            let bonus = prior.map { c.priorWeight * windows[i].iou($0) } ?? 0
            return .init(box: windows[i], probability: p, rank: p + bonus)
        }
        candidates.sort { $0.rank > $1.rank }
        // Near-ties go to the smaller window: a window that frames the object tightly and one
        // that holds it with table around both score ~1, and the tight one is the better box.
        if let top = candidates.first,
           let tight = candidates.filter({ top.rank - $0.rank <= c.tightTieMargin && $0.box.iou(top.box) > 0 && Self.coverage(of: $0.box, by: top.box) >= 0.7 })
               .min(by: { $0.box.area < $1.box.area }),
           let index = candidates.firstIndex(of: tight), index > 0 {
            candidates.remove(at: index)
            candidates.insert(tight, at: 0)
        }
        let regions = Self.suppress(candidates, iou: c.nmsIoU, keep: c.maxRegions)
        let best = regions[0]
        guard best.probability >= c.foundThreshold else {
            return GroundingResult(status: .notFound, box: nil, score: best.probability, regions: regions, windowCount: windows.count)
        }
        var box = Self.fuse(best, with: candidates, iou: c.fusionIoU, floor: c.fusionFloor)
        if let patchEmbeddings, let dense = denseBox(
            around: best.box, windows: windows, patches: patchEmbeddings, texts: textEmbeddings, width: image.width, height: image.height) {
            box = dense
        }
        // A rival counts only when it is a separate place (no part of the box just found is in it:
        // windows holding part of the same object are not rivals) and plausible itself.
        let rival = regions.dropFirst().first { region in
            Self.coverage(of: box, by: region.box) == 0 && region.probability >= c.foundThreshold
        }
        let status: GroundingResult.Status = rival.map { best.rank - $0.rank < c.ambiguityMargin } == true ? .ambiguous : .grounded
        return GroundingResult(status: status, box: box, score: best.probability, regions: regions, windowCount: windows.count)
    }

    /// All windows in one batch: sampled into one buffer, encoded together (with their patch embeddings in dense mode).
    private func embed(_ windows: [GroundingBox], of image: RGBImage, patches: Bool) throws(CLIPError) -> ([[Float]], [[Float]]?) {
        lock.lock()
        defer { lock.unlock() }
        let per = sampler.floatsPerWindow
        let pixels = reserve(&self.pixels, capacity: &pixelCapacity, count: windows.count * per)
        let scratch = reserve(&self.scratch, capacity: &scratchCapacity, count: sampler.scratchCount(frameHeight: image.height))
        image.pixels.withUnsafeBufferPointer { source in
            for (i, window) in windows.enumerated() {
                sampler.sample(
                    source, width: image.width, height: image.height,
                    window: (Int(window.x0), Int(window.y0), Int(window.width), Int(window.height)),
                    scratch: scratch, into: pixels + i * per)
            }
        }
        let batch = UnsafeBufferPointer(start: pixels, count: windows.count * per)
        if patches {
            let both = try model.imageAndPatchEmbeddings(pixels: batch, images: windows.count)
            return (both.images, both.patches)
        }
        return (try model.imageEmbeddings(pixels: batch, images: windows.count), nil)
    }

    /// Dense patch similarity: every patch of every window near the best region is scored like a
    /// window (softmax over the same labels); the scores are averaged onto a grid of frame cells,
    /// and the box is the extent of the 4-connected cells around the peak inside the best region
    /// that reach `denseFraction` of the peak, searched within the region grown by a quarter.
    func denseBox(
        around best: GroundingBox, windows: [GroundingBox], patches: [[Float]], texts: [[Float]], width: Int, height: Int
    ) -> GroundingBox? {
        let grid = model.configuration.vision.gridSize, dim = texts[0].count
        let cell = max(2, min(width, height) / 60)
        let columns = (width + cell - 1) / cell, rows = (height + cell - 1) / cell
        let growX = best.width / 4, growY = best.height / 4
        let area = GroundingBox(x0: max(0, best.x0 - growX), y0: max(0, best.y0 - growY),
                                x1: min(Float(width), best.x1 + growX), y1: min(Float(height), best.y1 + growY))
        var heat = [Float](repeating: 0, count: rows * columns), weight = [Float](repeating: 0, count: rows * columns)
        var logits = [Float](repeating: 0, count: texts.count)
        for (w, window) in windows.enumerated() where window.iou(area) > 0 {
            let pw = window.width / Float(grid), ph = window.height / Float(grid)
            patches[w].withUnsafeBufferPointer { patch in
                for gy in 0..<grid {
                    for gx in 0..<grid {
                        let base = patch.baseAddress! + (gy * grid + gx) * dim
                        for (t, text) in texts.enumerated() {
                            var dot: Float = 0
                            for k in 0..<dim { dot += base[k] * text[k] }
                            logits[t] = model.logitScale * dot
                        }
                        let p = softmax(logits)[0]
                        let x0 = Int(window.x0 + Float(gx) * pw) / cell, x1 = Int((window.x0 + Float(gx + 1) * pw - 1)) / cell
                        let y0 = Int(window.y0 + Float(gy) * ph) / cell, y1 = Int((window.y0 + Float(gy + 1) * ph - 1)) / cell
                        for cy in max(0, y0)...min(rows - 1, max(y0, y1)) {
                            for cx in max(0, x0)...min(columns - 1, max(x0, x1)) {
                                heat[cy * columns + cx] += p
                                weight[cy * columns + cx] += 1
                            }
                        }
                    }
                }
            }
        }
        for i in heat.indices where weight[i] > 0 { heat[i] /= weight[i] }
        func cells(_ box: GroundingBox) -> (ClosedRange<Int>, ClosedRange<Int>) {
            (max(0, Int(box.y0) / cell)...min(rows - 1, Int(box.y1 - 1) / cell),
             max(0, Int(box.x0) / cell)...min(columns - 1, Int(box.x1 - 1) / cell))
        }
        let (bestRows, bestColumns) = cells(best)
        var peak = (value: Float(-1), index: 0)
        for cy in bestRows { for cx in bestColumns where heat[cy * columns + cx] > peak.value { peak = (heat[cy * columns + cx], cy * columns + cx) } }
        guard peak.value > 0 else { return nil }
        let (areaRows, areaColumns) = cells(area)
        let floor = configuration.denseFraction * peak.value
        var seen = Set([peak.index]), stack = [peak.index]
        var (minX, minY, maxX, maxY) = (columns, rows, -1, -1)
        while let index = stack.popLast() {
            let cy = index / columns, cx = index % columns
            (minX, minY, maxX, maxY) = (min(minX, cx), min(minY, cy), max(maxX, cx), max(maxY, cy))
            for (ny, nx) in [(cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)]
            where areaRows.contains(ny) && areaColumns.contains(nx) && heat[ny * columns + nx] >= floor && !seen.contains(ny * columns + nx) {
                seen.insert(ny * columns + nx)
                stack.append(ny * columns + nx)
            }
        }
        return GroundingBox(x0: Float(minX * cell), y0: Float(minY * cell),
                            x1: Float(min(width, (maxX + 1) * cell)), y1: Float(min(height, (maxY + 1) * cell)))
    }

    /// A buffer of at least `count` floats, grown (never shrunk) across frames.
    private func reserve(_ buffer: inout UnsafeMutablePointer<Float>?, capacity: inout Int, count: Int) -> UnsafeMutablePointer<Float> {
        if let buffer, capacity >= count { return buffer }
        buffer?.deallocate()
        let grown = UnsafeMutablePointer<Float>.allocate(capacity: count)
        buffer = grown
        capacity = count
        return grown
    }

    /// Greedy non-maximum suppression over regions sorted by rank.
    static func suppress(_ sorted: [GroundingResult.Region], iou: Float, keep: Int) -> [GroundingResult.Region] {
        var kept: [GroundingResult.Region] = []
        for region in sorted where kept.allSatisfy({ $0.box.iou(region.box) <= iou }) {
            kept.append(region)
            if kept.count == keep { break }
        }
        return kept
    }

    /// The probability-weighted mean box of the windows that agree with the best one.
    static func fuse(_ best: GroundingResult.Region, with all: [GroundingResult.Region], iou: Float, floor: Float) -> GroundingBox {
        guard iou > 0 else { return best.box }
        var sum = GroundingBox(x0: 0, y0: 0, x1: 0, y1: 0), weight: Float = 0
        for region in all where region.probability >= floor * best.probability && region.box.iou(best.box) >= iou
            && region.box.area <= best.box.area * 1.5 {
            let w = region.probability
            sum.x0 += w * region.box.x0; sum.y0 += w * region.box.y0
            sum.x1 += w * region.box.x1; sum.y1 += w * region.box.y1
            weight += w
        }
        guard weight > 0 else { return best.box }
        return GroundingBox(x0: sum.x0 / weight, y0: sum.y0 / weight, x1: sum.x1 / weight, y1: sum.y1 / weight)
    }

    /// How much of `box` lies inside `window`.
    static func coverage(of box: GroundingBox, by window: GroundingBox) -> Float {
        let iw = max(0, min(box.x1, window.x1) - max(box.x0, window.x0))
        let ih = max(0, min(box.y1, window.y1) - max(box.y0, window.y0))
        return box.area > 0 ? iw * ih / box.area : 0
    }
}
