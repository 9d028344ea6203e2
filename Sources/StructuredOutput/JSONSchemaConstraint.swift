public import Generation
public import LanguageModel
public import Tokenizers

/// Constrains generation to a JSON Schema: before each token, the vocabulary trie is walked
/// through the schema's automaton from the current state (one stack of frames per trie
/// depth, so a node's state is its parent's plus one byte) and every token whose bytes the
/// automaton refuses is masked. End-of-generation tokens are allowed only once the document
/// is complete; other special tokens never. Tokens that end inside a UTF-8 character are
/// fine: the automaton tracks partial characters inside strings.
public final class JSONSchemaConstraint: TokenConstraint {
    public let schema: JSONSchema
    public let trie: TokenTrie
    private let automaton: JSONAutomaton
    private let capacity: Int
    /// One stack per trie depth (depth 0 is the current state), `capacity` frames each.
    private let levels: UnsafeMutablePointer<JSONFrame>
    private let levelCounts: UnsafeMutablePointer<Int>
    private let allowed: UnsafeMutablePointer<Int32>
    private var allowedCount = 0
    /// Whether `allowed` is for the current state (the walk is done once per state).
    private var allowedIsCurrent = false
    /// The end tokens of the last mask: drawing one ends the output without advancing.
    private var endTokens: Set<Int32> = []
    private var masked: [Float] = []

    public init(schema: JSONSchema, trie: TokenTrie) {
        self.schema = schema
        self.trie = trie
        automaton = JSONAutomaton(grammar: schema.grammar)
        capacity = schema.grammar.maxDepth
        levels = .allocate(capacity: (trie.maxDepth + 1) * capacity)
        levels.initialize(repeating: JSONFrame(node: 0), count: (trie.maxDepth + 1) * capacity)
        levelCounts = .allocate(capacity: trie.maxDepth + 1)
        levelCounts.initialize(repeating: 0, count: trie.maxDepth + 1)
        allowed = .allocate(capacity: max(trie.vocabularySize, 1))
        levels[0] = automaton.startFrame(schema.grammar.root)
        levelCounts[0] = 1
    }

    /// For `tokenizer`, with its cached trie.
    public convenience init(schema: JSONSchema, tokenizer: LMTokenizer) {
        self.init(schema: schema, trie: TokenTrie.shared(for: tokenizer))
    }

    deinit {
        levels.deallocate()
        levelCounts.deallocate()
        allowed.deallocate()
    }

    /// Nothing may follow: the document is closed, or it may end here and no token can
    /// continue it (a top-level number at its largest, say).
    public var isComplete: Bool {
        if levelCounts[0] == 0 { return true }
        guard isAccepting else { return false }
        computeAllowed()
        return allowedCount == 0
    }

    /// The document could end here.
    public var isAccepting: Bool { automaton.isAccepting(levels, levelCounts[0]) }

    /// The tokens that may come next as text, in trie order (control end tokens are never among them).
    public func allowedTokens() -> [Int32] {
        computeAllowed()
        return Array(UnsafeBufferPointer(start: allowed, count: allowedCount))
    }

    public func mask(_ logits: inout [Float], endTokens: Set<Int32>) throws(LanguageModelError) {
        computeAllowed()
        let accepting = isAccepting
        // End tokens are allowed only where the document may end, even one that is also text.
        self.endTokens = endTokens
        let ends = endTokens.filter { $0 >= 0 && Int($0) < logits.count }
        let textAllowed = (0..<allowedCount).contains { !ends.contains(allowed[$0]) }
        guard textAllowed || (accepting && !ends.isEmpty) else {
            throw .invalidInput("no token of the vocabulary can continue the JSON output here (the vocabulary cannot spell what the schema needs)")
        }
        if masked.count != logits.count { masked = [Float](repeating: -.infinity, count: logits.count) }
        masked.withUnsafeMutableBufferPointer { out in
            logits.withUnsafeBufferPointer { source in
                out.update(repeating: -.infinity)
                for i in 0..<allowedCount {
                    let id = Int(allowed[i])
                    if id < source.count { out[id] = source[id] }
                }
                for id in ends { out[Int(id)] = accepting ? source[Int(id)] : -.infinity }
            }
        }
        swap(&logits, &masked)
    }

    public func advance(_ token: Int32) throws(LanguageModelError) {
        if endTokens.contains(token) && isAccepting { return }
        guard token >= 0 && Int(token) < trie.vocabularySize, !trie.pieces[Int(token)].isEmpty else {
            // An end token (allowed only where the document may end) changes nothing.
            if isAccepting { return }
            throw .invalidInput("token \(token) is not text and the JSON output is not complete")
        }
        var count = levelCounts[0]
        // Work on level 1 so a refused token leaves the state as it was.
        let work = levels + capacity
        work.update(from: levels, count: count)
        for b in trie.pieces[Int(token)] where !automaton.feed(work, &count, b) {
            throw .invalidInput("token \(token) cannot continue the JSON output here")
        }
        levels.update(from: work, count: count)
        levelCounts[0] = count
        allowedIsCurrent = false
    }

    /// Inside a string, the plain-text tokens that fit are taken by length; then the
    /// depth-first walk of the trie (of the other tokens, inside a string): a node's state
    /// is its parent level's stack plus its byte, and a refused byte skips its subtree.
    private func computeAllowed() {
        if allowedIsCurrent { return }
        allowedIsCurrent = true
        allowedCount = 0
        let current = levelCounts[0]
        guard current > 0 else { return }
        var layout = trie.all
        if let room = automaton.plainStringRoom(levels[current - 1]), !trie.plainCountUpTo.isEmpty {
            let n = trie.plainCountUpTo[min(max(room, 0), trie.plainCountUpTo.count - 1)]
            allowed.update(from: trie.plainTokens.baseAddress!, count: n)
            allowedCount = n
            layout = trie.notPlain
        }
        let bytes = layout.bytes.baseAddress!, depths = layout.depths.baseAddress!
        let ends = layout.subtreeEnds.baseAddress!, starts = layout.tokenStarts.baseAddress!, ids = layout.tokenIDs.baseAddress!
        let n = layout.nodeCount, capacity = self.capacity
        var i = 0
        while i < n {
            let depth = Int(depths[i])
            let parent = levels + (depth - 1) * capacity
            var count = levelCounts[depth - 1]
            let level = parent + capacity
            level.update(from: parent, count: count)
            if count > 0 && automaton.feed(level, &count, bytes[i]) {
                levelCounts[depth] = count
                for t in Int(starts[i])..<Int(starts[i + 1]) {
                    allowed[allowedCount] = ids[t]
                    allowedCount += 1
                }
                i += 1
            } else {
                i = Int(ends[i])
            }
        }
    }
}
