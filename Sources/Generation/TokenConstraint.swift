public import LanguageModel

/// Restricts which tokens may come next (a JSON schema, a grammar). The generator asks it to
/// mask the logits before every draw, so it composes with any sampling settings, and tells it
/// each token drawn. One instance follows one generation (it holds that output's state).
public protocol TokenConstraint: AnyObject {
    /// Sets the logit of every token that may not come next to -infinity. `endTokens` (the
    /// tokens that end generation) are allowed only where the output may end. Throws when
    /// no token at all may come next.
    func mask(_ logits: inout [Float], endTokens: Set<Int32>) throws(LanguageModelError)

    /// Moves past `token`, which the last mask allowed (end tokens leave the state as it is).
    func advance(_ token: Int32) throws(LanguageModelError)

    /// Nothing may follow: the generator stops without drawing again.
    var isComplete: Bool { get }
}
