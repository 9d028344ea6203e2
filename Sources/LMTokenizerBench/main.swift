// Language-model tokenizer timing: `swift run -c release lm-tokenizer-bench [model.gguf]`.
// Encodes a ~500-token ChatML prompt (prose, code, CJK, emoji) repeatedly and prints the
// median and best time per encode, plus load time.
import Glibc
import Tokenizers

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

let home = String(cString: getenv("HOME"))
let path = CommandLine.arguments.count > 1
    ? CommandLine.arguments[1] : home + "/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
let t0 = now()
let tokenizer: LMTokenizer
do {
    tokenizer = try LMTokenizer(ggufPath: path)
} catch {
    print("cannot load \(path): \(error)")
    exit(1)
}
let loadSeconds = now() - t0

var prompt = "<|im_start|>system\nYou turn robot commands into JSON tasks. Answer with one JSON object.<|im_end|>\n<|im_start|>user\n"
let parts = [
    "Pick up the red cup from the table, then place it on the second shelf, 40 cm to the left of the blue box. ",
    "def plan(task):\n    steps = [s.strip() for s in task.split(';')]\n    return {\"steps\": steps, \"count\": len(steps)}\n",
    "机器人请把红色的杯子放到桌子上。 ロボットはカップを持ち上げます。 🤖👍 ",
    "If the gripper force exceeds 12.5 N, stop and report {\"error\": \"force_limit\"}. Don't retry more than 3 times.\n",
]
var k = 0
while tokenizer.encode(prompt, addSpecial: true, parseSpecial: true).count < 490 {
    prompt += parts[k % parts.count]
    k += 1
}
prompt += "<|im_end|>\n<|im_start|>assistant\n"
let ids = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)

var times: [Double] = []
for _ in 0..<300 {
    let start = now()
    let out = tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
    times.append(now() - start)
    precondition(out.count == ids.count)
}
times.sort()
let decodeStart = now()
var bytes = 0
for _ in 0..<100 { bytes += tokenizer.detokenize(ids).count }
let decodeSeconds = (now() - decodeStart) / 100
print("model \(path)")
print("load \(Int(loadSeconds * 1000)) ms; prompt \(prompt.utf8.count) bytes -> \(ids.count) tokens")
print("encode median \(Int(times[times.count / 2] * 1e6)) us, best \(Int(times[0] * 1e6)) us, p90 \(Int(times[times.count * 9 / 10] * 1e6)) us")
print("detokenize \(Int(decodeSeconds * 1e6)) us (\(bytes / 100) bytes)")
