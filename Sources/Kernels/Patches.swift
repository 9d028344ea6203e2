/// im2col for a non-overlapping patch convolution (stride = kernel = patch):
/// turns a [channels, height, width] image into [patches, channels·patch·patch]
/// rows whose column order matches a conv weight [out, channels, patch, patch]
/// flattened, so the convolution becomes one GEMM.
public func extractPatches(
    _ image: UnsafePointer<Float>, channels: Int, height: Int, width: Int, patch: Int,
    into output: UnsafeMutablePointer<Float>
) {
    let rows = height / patch, columns = width / patch
    let rowLength = channels * patch * patch
    for py in 0..<rows {
        for px in 0..<columns {
            var o = output + (py * columns + px) * rowLength
            for c in 0..<channels {
                for y in 0..<patch {
                    let source = image + (c * height + py * patch + y) * width + px * patch
                    o.update(from: source, count: patch)
                    o += patch
                }
            }
        }
    }
}
