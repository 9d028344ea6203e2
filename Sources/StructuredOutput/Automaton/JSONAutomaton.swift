/// One value being generated: which grammar node, where in it, and its counters.
public struct JSONFrame: Sendable, Equatable {
    var node: Int32
    var phase: Int32 = 0
    /// Object: position (next property index) or the property being read; array: items
    /// so far; string: scalars so far; numbers: digits in the current part.
    var count: Int32 = 0
    /// Literal or key: trie node; string: continuation bytes still due or hex digits read;
    /// integer: 1 when negative.
    var aux: Int32 = 0
    /// Integer: magnitude so far; string: allowed range of the next continuation byte
    /// (low << 8 | high), or 1 after "\uD" (surrogates are refused).
    var value: Int64 = 0
}

/// The pushdown automaton of a `JSONGrammar`, one byte at a time, over a stack of frames in
/// caller-owned memory (the mask walk keeps one stack per trie depth). A value that is done
/// pops its frame; a number or literal that may stop learns it is done from the next byte,
/// which is then fed to its parent.
struct JSONAutomaton {
    let grammar: JSONGrammar

    private enum Outcome { case consumed, rejected, refeed }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), space = UInt8(ascii: " ")
    private static let comma = UInt8(ascii: ",")
    private static let powersOfTen: [Int64] = (0...18).map { k in (0..<k).reduce(Int64(1)) { p, _ in p * 10 } }

    func startFrame(_ node: Int32) -> JSONFrame {
        let n = grammar.nodes[Int(node)]
        return JSONFrame(node: node, aux: n.kind == .literal ? n.a : 0)
    }

    /// Feeds `byte` to the stack of `count` frames at `stack` (room for `grammar.maxDepth`).
    /// Returns false, with the stack in an unspecified state, when the byte cannot come next.
    func feed(_ stack: UnsafeMutablePointer<JSONFrame>, _ count: inout Int, _ byte: UInt8) -> Bool {
        while count > 0 {
            switch feedTop(stack, &count, byte) {
            case .consumed: return true
            case .rejected: return false
            case .refeed: continue
            }
        }
        return false  // the document is complete: nothing may follow
    }

    /// Whether the document could end here (end-of-generation allowed).
    func isAccepting(_ stack: UnsafePointer<JSONFrame>, _ count: Int) -> Bool {
        count == 0 || (count == 1 && canEnd(stack[0]))
    }

    /// When `top` is inside a string between characters: how many more scalars fit. A token
    /// of plain string text (no quote, backslash or control, complete UTF-8) is then allowed
    /// exactly when its scalar count is at most this.
    func plainStringRoom(_ top: JSONFrame) -> Int? {
        let node = grammar.nodes[Int(top.node)]
        guard node.kind == .string && top.phase == 1 else { return nil }
        return Int(node.c - top.count)
    }

    private func canEnd(_ f: JSONFrame) -> Bool {
        let node = grammar.nodes[Int(f.node)]
        switch node.kind {
        case .integer: return f.phase == 3 || (f.phase == 2 && inRange(f, node))
        case .number: return f.phase == 2 || f.phase == 3 || f.phase == 5 || f.phase == 8
        case .literal: return grammar.literalTerminal[Int(f.aux)] >= 0
        default: return false
        }
    }

    private func inRange(_ f: JSONFrame, _ node: JSONGrammar.Node) -> Bool {
        let v = f.aux == 1 ? -f.value : f.value
        return v >= node.low && v <= node.high
    }

    @inline(__always)
    private func push(_ stack: UnsafeMutablePointer<JSONFrame>, _ count: inout Int, _ node: Int32) -> Outcome {
        stack[count] = startFrame(node)
        count += 1
        return .refeed
    }

    private func feedTop(_ stack: UnsafeMutablePointer<JSONFrame>, _ count: inout Int, _ byte: UInt8) -> Outcome {
        let top = count - 1
        var f = stack[top]
        let node = grammar.nodes[Int(f.node)]
        switch node.kind {
        case .object:
            let position = grammar.objectTable.baseAddress! + Int(node.a)
            func keyRoot(_ p: Int32) -> Int32 { position[Int(p) * JSONGrammar.objectStride] }
            func closable(_ p: Int32) -> Bool { position[Int(p) * JSONGrammar.objectStride + 1] != 0 }
            switch f.phase {
            case 0:
                guard byte == UInt8(ascii: "{") else { return .rejected }
                f.phase = 1
            case 1, 6, 7:  // after '{', after ',', after ", "
                if byte == UInt8(ascii: "}") && f.phase == 1 {
                    guard closable(0) else { return .rejected }
                    count -= 1
                    return .consumed
                }
                if byte == Self.space && f.phase == 6 {
                    f.phase = 7
                    break
                }
                let root = keyRoot(f.count)
                guard root >= 0 else { return .rejected }
                let next = grammar.literalNext[Int(root) * 256 + Int(byte)]
                guard next >= 0 else { return .rejected }
                f.phase = 2
                f.aux = next
            case 2:  // inside `"key":`
                let next = grammar.literalNext[Int(f.aux) * 256 + Int(byte)]
                guard next >= 0 else { return .rejected }
                f.aux = next
                let property = grammar.literalTerminal[Int(next)]
                if property >= 0 {
                    f.phase = 3
                    f.count = property
                }
            case 3, 4:  // after ':' (4: after its space); the byte starts the value
                if byte == Self.space && f.phase == 3 {
                    f.phase = 4
                    break
                }
                let valueNode = position[Int(f.count) * JSONGrammar.objectStride + 2]
                f.phase = 5
                f.count += 1
                stack[top] = f
                return push(stack, &count, valueNode)
            default:  // 5: after a value, at position count
                if byte == Self.comma && keyRoot(f.count) >= 0 {
                    f.phase = 6
                } else if byte == UInt8(ascii: "}") && closable(f.count) {
                    count -= 1
                    return .consumed
                } else {
                    return .rejected
                }
            }
        case .array:
            switch f.phase {
            case 0:
                guard byte == UInt8(ascii: "[") else { return .rejected }
                f.phase = 1
            case 1:
                if byte == UInt8(ascii: "]") && node.b == 0 {
                    count -= 1
                    return .consumed
                }
                guard node.c > 0 else { return .rejected }
                f.phase = 2
                f.count = 1
                stack[top] = f
                return push(stack, &count, node.a)
            case 2:  // after an item
                if byte == Self.comma && f.count < node.c {
                    f.phase = 3
                } else if byte == UInt8(ascii: "]") && f.count >= node.b {
                    count -= 1
                    return .consumed
                } else {
                    return .rejected
                }
            default:  // 3: after ',', 4: after ", "
                if byte == Self.space && f.phase == 3 {
                    f.phase = 4
                    break
                }
                f.phase = 2
                f.count += 1
                stack[top] = f
                return push(stack, &count, node.a)
            }
        case .string:
            switch f.phase {
            case 0:
                guard byte == Self.quote else { return .rejected }
                f.phase = 1
            case 1:
                if byte == Self.quote {
                    guard f.count >= node.b else { return .rejected }
                    count -= 1
                    return .consumed
                }
                guard byte >= 0x20, f.count < node.c else { return .rejected }
                f.count += 1
                if byte == Self.backslash {
                    f.phase = 2
                } else if byte >= 0x80 {
                    // A UTF-8 lead byte: how many continuation bytes follow, and the range of
                    // the first (which excludes overlong forms, surrogates and > U+10FFFF).
                    switch byte {
                    case 0xC2...0xDF: f.aux = 1; f.value = 0x80BF
                    case 0xE0: f.aux = 2; f.value = 0xA0BF
                    case 0xED: f.aux = 2; f.value = 0x809F
                    case 0xE1...0xEF: f.aux = 2; f.value = 0x80BF
                    case 0xF0: f.aux = 3; f.value = 0x90BF
                    case 0xF1...0xF3: f.aux = 3; f.value = 0x80BF
                    case 0xF4: f.aux = 3; f.value = 0x808F
                    default: return .rejected
                    }
                    f.phase = 3
                }
            case 3:  // continuation bytes
                guard Int64(byte) >= f.value >> 8 && Int64(byte) <= f.value & 0xFF else { return .rejected }
                f.aux -= 1
                if f.aux == 0 { f.phase = 1 } else { f.value = 0x80BF }
            case 2:  // after '\'
                switch byte {
                case Self.quote, Self.backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    f.phase = 1
                case UInt8(ascii: "u"):
                    f.phase = 4
                    f.aux = 0
                    f.value = 0
                default: return .rejected
                }
            default:  // 4: hex digits of \uXXXX (no surrogates: D800-DFFF)
                guard let digit = Self.hexValue(byte) else { return .rejected }
                if f.aux == 0 && digit == 0xD { f.value = 1 }
                if f.aux == 1 && f.value == 1 && digit >= 8 { return .rejected }
                f.aux += 1
                if f.aux == 4 { f.phase = 1 }
            }
        case .integer:
            let isDigit = byte >= 0x30 && byte <= 0x39
            switch f.phase {
            case 0, 1:  // start, after '-'
                if byte == UInt8(ascii: "-") && f.phase == 0 {
                    guard node.low < 0 else { return .rejected }
                    f.phase = 1
                    f.aux = 1
                    break
                }
                guard isDigit else { return .rejected }
                let d = Int64(byte - 0x30)
                if d == 0 {
                    guard node.low <= 0 && 0 <= node.high else { return .rejected }
                    f.phase = 3
                } else {
                    guard feasible(negative: f.aux == 1, magnitude: d, digits: 1, node) else { return .rejected }
                    f.phase = 2
                    f.count = 1
                    f.value = d
                }
            case 2:
                if isDigit {
                    let m = f.value * 10 + Int64(byte - 0x30)
                    guard Int(f.count) < JSONGrammar.maxIntegerDigits,
                        feasible(negative: f.aux == 1, magnitude: m, digits: Int(f.count) + 1, node)
                    else { return .rejected }
                    f.value = m
                    f.count += 1
                } else {
                    guard inRange(f, node) else { return .rejected }
                    count -= 1
                    return .refeed
                }
            default:  // 3: a lone 0
                guard !isDigit else { return .rejected }
                count -= 1
                return .refeed
            }
        case .number:
            let isDigit = byte >= 0x30 && byte <= 0x39
            let isExponent = byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            switch f.phase {
            case 0, 1:
                if byte == UInt8(ascii: "-") && f.phase == 0 {
                    f.phase = 1
                    break
                }
                guard isDigit else { return .rejected }
                f.phase = byte == 0x30 ? 3 : 2
                f.count = 1
            case 2, 3:  // integer part (3: a lone 0)
                if isDigit && f.phase == 2 && Int(f.count) < JSONGrammar.maxNumberDigits {
                    f.count += 1
                } else if byte == UInt8(ascii: ".") {
                    f.phase = 4
                } else if isExponent {
                    f.phase = 6
                } else if isDigit {
                    return .rejected
                } else {
                    count -= 1
                    return .refeed
                }
            case 4, 7:  // after '.', after the exponent's sign: a digit is due
                guard isDigit else { return .rejected }
                f.phase = f.phase == 4 ? 5 : 8
                f.count = 1
            case 5:  // fraction
                if isDigit {
                    guard Int(f.count) < JSONGrammar.maxNumberDigits else { return .rejected }
                    f.count += 1
                } else if isExponent {
                    f.phase = 6
                } else {
                    count -= 1
                    return .refeed
                }
            case 6:  // after 'e'
                if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                    f.phase = 7
                } else {
                    guard isDigit else { return .rejected }
                    f.phase = 8
                    f.count = 1
                }
            default:  // 8: exponent digits
                if isDigit {
                    guard Int(f.count) < JSONGrammar.maxExponentDigits else { return .rejected }
                    f.count += 1
                } else {
                    count -= 1
                    return .refeed
                }
            }
        case .literal:
            let next = grammar.literalNext[Int(f.aux) * 256 + Int(byte)]
            if next < 0 {
                guard grammar.literalTerminal[Int(f.aux)] >= 0 else { return .rejected }
                count -= 1
                return .refeed
            }
            if grammar.literalTerminal[Int(next)] >= 0 && !grammar.literalHasChildren[Int(next)] {
                count -= 1
                return .consumed
            }
            f.aux = next
        case .anyOf:
            let branch = grammar.anyOfTable[Int(node.a) + Int(byte)]
            guard branch >= 0 else { return .rejected }
            stack[top] = startFrame(branch)
            return .refeed
        }
        stack[top] = f
        return .consumed
    }

    /// Whether some integer of at most 18 digits whose digits start with `magnitude`'s
    /// (`digits` of them) lies in the node's range.
    private func feasible(negative: Bool, magnitude: Int64, digits: Int, _ node: JSONGrammar.Node) -> Bool {
        for extra in 0...(JSONGrammar.maxIntegerDigits - digits) {
            let p = Self.powersOfTen[extra]
            let lowMagnitude = magnitude * p, highMagnitude = magnitude * p + (p - 1)
            let (low, high) = negative ? (-highMagnitude, -lowMagnitude) : (lowMagnitude, highMagnitude)
            if high >= node.low && low <= node.high { return true }
        }
        return false
    }

    private static func hexValue(_ b: UInt8) -> Int64? {
        switch b {
        case 0x30...0x39: Int64(b - 0x30)
        case 0x41...0x46: Int64(b - 0x41 + 10)
        case 0x61...0x66: Int64(b - 0x61 + 10)
        default: nil
        }
    }
}
