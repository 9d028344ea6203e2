/// A compiled schema in the flat form the byte automaton walks: one record per value node,
/// plus shared tables (object positions, anyOf dispatch, a trie of literal byte strings).
/// The tables live in buffers allocated once, so the per-byte step reads plain memory
/// (no array bounds checks, retains or copy-on-write in the mask loop). Immutable.
public final class JSONGrammar: @unchecked Sendable {
    enum Kind: UInt8 {
        /// a: offset of its positions in `objectTable`, b: property count.
        case object
        /// a: item node, b: minItems, c: maxItems.
        case array
        /// b: minLength, c: maxLength (Unicode scalars).
        case string
        /// low...high, at most `maxIntegerDigits` digits.
        case integer
        /// Any number: at most `maxNumberDigits` digits before and after the point, `maxExponentDigits` in the exponent.
        case number
        /// a: root of its byte strings in the literal trie (enum, const, boolean, null).
        case literal
        /// a: offset of a 256-entry table in `anyOfTable`: the branch node each first byte starts.
        case anyOf
    }

    struct Node {
        var kind: Kind
        var a: Int32 = 0
        var b: Int32 = 0
        var c: Int32 = 0
        var low: Int64 = 0
        var high: Int64 = 0
    }

    static let maxIntegerDigits = 18
    static let maxNumberDigits = 15
    static let maxExponentDigits = 2
    /// Per object position p: key-trie root of the keys that may come next (-1: none),
    /// whether the object may close there (0/1), and the value node of property p.
    static let objectStride = 3

    let nodes: UnsafeMutableBufferPointer<Node>
    let objectTable: UnsafeMutableBufferPointer<Int32>
    let anyOfTable: UnsafeMutableBufferPointer<Int32>
    /// Literal trie: child of node n on byte b at n * 256 + b (-1: none).
    let literalNext: UnsafeMutableBufferPointer<Int32>
    /// Literal trie: the value index a node completes (-1: not the end of a literal).
    let literalTerminal: UnsafeMutableBufferPointer<Int32>
    /// Literal trie: whether a node has children (a terminal without them ends its value at once).
    let literalHasChildren: UnsafeMutableBufferPointer<Bool>
    let root: Int32
    /// The deepest stack of frames a document can need (one frame per nested value).
    public let maxDepth: Int

    init(nodes: [Node], objectTable: [Int32], anyOfTable: [Int32], literals: LiteralTrieBuilder, root: Int32, maxDepth: Int) {
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
            _ = buffer.initialize(from: array)
            return buffer
        }
        self.nodes = copy(nodes)
        self.objectTable = copy(objectTable)
        self.anyOfTable = copy(anyOfTable)
        literalNext = copy(literals.next)
        literalTerminal = copy(literals.terminal)
        literalHasChildren = copy(literals.terminal.indices.map { n in (0..<256).contains { literals.next[n * 256 + $0] >= 0 } })
        self.root = root
        self.maxDepth = maxDepth
    }

    deinit {
        nodes.deallocate()
        objectTable.deallocate()
        anyOfTable.deallocate()
        literalNext.deallocate()
        literalTerminal.deallocate()
        literalHasChildren.deallocate()
    }
}

/// Byte strings sharing prefixes, several roots in one table (each enum and each object
/// position gets its own root).
struct LiteralTrieBuilder {
    var next: [Int32] = []
    var terminal: [Int32] = []

    mutating func newRoot() -> Int32 {
        next += repeatElement(-1, count: 256)
        terminal.append(-1)
        return Int32(terminal.count - 1)
    }

    /// Adds `bytes` under `root`, ending at a node that reports `value`. Returns false when
    /// the same bytes were added before.
    @discardableResult
    mutating func insert(_ bytes: [UInt8], value: Int32, root: Int32) -> Bool {
        var node = root
        for b in bytes {
            let slot = Int(node) * 256 + Int(b)
            if next[slot] < 0 { next[slot] = newRoot() }
            node = next[slot]
        }
        guard terminal[Int(node)] < 0 else { return false }
        terminal[Int(node)] = value
        return true
    }

    /// The first bytes of the strings under `root`.
    func firstBytes(_ root: Int32) -> [UInt8] {
        (0..<256).filter { next[Int(root) * 256 + $0] >= 0 }.map(UInt8.init)
    }
}
