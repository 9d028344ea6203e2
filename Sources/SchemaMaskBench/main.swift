// Schema-constrained decoding cost: `swift run -c release schema-mask-bench [model.gguf]`.
// Builds the vocabulary trie once, then steps through realistic task-intent outputs (the
// tokens the tokenizer gives for them, as a model would emit) masking a logits row before
// each token, as the generator does (the trie walk plus writing -inf over the row). Prints the trie build time and the mask
// time per step (median of 5 repeats per step): median, mean, p90 and worst, overall and
// for steps inside strings.
import Glibc
import StructuredOutput
import Tokenizers

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

let home = String(cString: getenv("HOME"))
let path = CommandLine.arguments.count > 1
    ? CommandLine.arguments[1] : home + "/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
let tokenizer: LMTokenizer
do {
    tokenizer = try LMTokenizer(ggufPath: path)
} catch {
    print("cannot load \(path): \(error)")
    exit(1)
}

let schemaText = """
    {"type": "object",
     "properties": {
       "action": {"enum": ["pick", "place", "go_to", "stop"]},
       "target": {"type": "string", "maxLength": 40},
       "location": {"type": "string", "maxLength": 60},
       "confidence": {"type": "number"},
       "steps": {"type": "array", "items": {"type": "string", "maxLength": 30}, "maxItems": 4}},
     "required": ["action", "target"]}
    """
let documents = [
    #"{"action": "pick", "target": "the red cup", "confidence": 0.92}"#,
    #"{"action":"place","target":"blue box","location":"second shelf, 40 cm left of the lamp"}"#,
    #"{"action": "go_to", "target": "kitchen", "steps": ["leave the lab", "turn left", "open the door"]}"#,
    #"{"action": "pick", "target": "tasse à café ☕", "location": "table près de la fenêtre"}"#,
]
let schema: JSONSchema
do {
    schema = try JSONSchema(json: schemaText)
} catch {
    print("schema: \(error)")
    exit(1)
}

let buildStart = now()
let trie = TokenTrie(tokenizer: tokenizer)
let buildSeconds = now() - buildStart
print("vocabulary: \(tokenizer.vocabularySize) tokens, trie: \(trie.nodeCount) nodes, longest token \(trie.maxDepth) bytes, built in \(Int(buildSeconds * 1000)) ms")

// A logits row as the model gives it (151936 for Qwen2.5: a few more rows than tokens).
let row = (0..<(tokenizer.vocabularySize + 271)).map { Float($0 % 97) * 0.01 }
var all: [Double] = [], inString: [Double] = [], allowedCounts: [Int] = []
for document in documents {
    let ids = tokenizer.encode(document, addSpecial: false, parseSpecial: false)
    let constraint = JSONSchemaConstraint(schema: schema, trie: trie)
    var matcher = schema.matcher()
    var open = false  // inside a string value or key, by a simple quote count of the text so far
    var text: [UInt8] = []
    for id in ids {
        var times: [Double] = []
        for _ in 0..<5 {
            var logits = row
            let t = now()
            do {
                try constraint.mask(&logits, endTokens: tokenizer.vocabulary.endOfGenerationIDs)
            } catch {
                print("\(error)")
                exit(1)
            }
            times.append(now() - t)
        }
        let allowed = constraint.allowedTokens()
        let ms = median(times) * 1000
        all.append(ms)
        if open { inString.append(ms) }
        allowedCounts.append(allowed.count)
        guard allowed.contains(id) else {
            print("token \(id) of \(document) is not allowed after \(String(decoding: text, as: UTF8.self))")
            exit(1)
        }
        do {
            try constraint.advance(id)
        } catch {
            print("\(error)")
            exit(1)
        }
        let piece = tokenizer.piece(id)
        _ = matcher.feed(piece)
        text += piece
        var escaped = false
        for b in piece {
            if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { open.toggle() }
        }
    }
    guard constraint.isComplete else {
        print("\(document) did not complete the automaton")
        exit(1)
    }
}
func report(_ name: String, _ values: [Double]) {
    let mean = values.reduce(0, +) / Double(values.count)
    print("\(name): \(values.count) steps, median \(fmt(median(values))) ms, mean \(fmt(mean)) ms, p90 \(fmt(percentile(values, 0.9))) ms, worst \(fmt(values.max()!)) ms")
}
func fmt(_ x: Double) -> String {
    let scaled = (x * 1000).rounded() / 1000
    return "\(scaled)"
}
report("mask per step, all", all)
report("mask per step, inside strings", inString)
print("allowed tokens per step: median \(allowedCounts.sorted()[allowedCounts.count / 2]), max \(allowedCounts.max()!)")
