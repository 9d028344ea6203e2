import ModelFiles

/// Every activation buffer of a forward pass, sized once for a chunk of
/// `chunk` positions attending to at most `budget` cached ones.
final class Workspace {
    let hidden: FloatStorage      // [chunk, hidden], the residual stream
    let normed: FloatStorage      // [chunk, hidden]
    let projected: FloatStorage   // [chunk, hidden]
    let query: FloatStorage       // [chunk, heads · headDim]
    let attention: FloatStorage   // [chunk, heads · headDim]
    let gate: FloatStorage        // [chunk, intermediate]
    let up: FloatStorage          // [chunk, intermediate]
    let scores: FloatStorage      // [chunk, budget]
    let logits: FloatStorage      // [vocab]

    init(_ c: LanguageModelConfiguration, chunk: Int, budget: Int) {
        hidden = FloatStorage(count: chunk * c.hiddenSize)
        normed = FloatStorage(count: chunk * c.hiddenSize)
        projected = FloatStorage(count: chunk * c.hiddenSize)
        query = FloatStorage(count: chunk * c.queryDimension)
        attention = FloatStorage(count: chunk * c.queryDimension)
        gate = FloatStorage(count: chunk * c.intermediateSize)
        up = FloatStorage(count: chunk * c.intermediateSize)
        scores = FloatStorage(count: chunk * budget)
        logits = FloatStorage(count: c.vocabSize)
    }
}
