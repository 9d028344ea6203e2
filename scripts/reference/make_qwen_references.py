#!/usr/bin/env python3
"""Reference outputs of llama.cpp (via llama-cpp-python) for the real Qwen2.5-Coder-0.5B-Instruct
Q4_K_M GGUF, for the Swift language-model engine's tests.

    /work/.venv-llama/bin/python scripts/reference/make_qwen_references.py \
        [--model ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf] \
        [--out Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m]

Writes tokenization.jsonl, prompts.json, logits/NN.f16, greedy.json and metadata.json
(see scripts/reference/README.md for the formats). Everything runs on the CPU with
n_threads=2 and is deterministic: running it twice gives identical files except for the
timings in metadata.json.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llama_cpp_info import build_info, sha256_file  # noqa: E402
from tokenization_corpus import corpus  # noqa: E402

import llama_cpp  # noqa: E402
from llama_cpp import Llama  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = Path.home() / ".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
DEFAULT_OUT = REPO / "Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m"

N_CTX = 1024
N_BATCH = 512
N_THREADS = 2
N_GREEDY = 32

ROBOT_SYSTEM = "You turn robot commands into JSON tasks."

# Prompts: "raw" prompts are fed as-is; "chat" prompts are rendered with the GGUF's own
# tokenizer.chat_template (jinja2, add_generation_prompt=True), exactly like
# llama-cpp-python's Jinja2ChatFormatter does, and the rendered text is stored too.
PROMPTS = [
    {"name": "raw_prose", "kind": "raw", "text": "The capital of France is"},
    {"name": "raw_python", "kind": "raw", "text": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"},
    {"name": "raw_swift", "kind": "raw", "text": "// Swift\nstruct Point {\n    var x: Double\n"},
    {"name": "chat_robot_pick", "kind": "chat", "messages": [
        {"role": "system", "content": ROBOT_SYSTEM},
        {"role": "user", "content": "pick up the red cup"},
    ]},
    {"name": "chat_default_system", "kind": "chat", "messages": [
        {"role": "user", "content": "Write a Swift function that returns the sum of an array of Int."},
    ]},
    {"name": "chat_robot_chinese", "kind": "chat", "messages": [
        {"role": "system", "content": ROBOT_SYSTEM},
        {"role": "user", "content": "\u628a\u84dd\u8272\u65b9\u5757\u653e\u5230\u684c\u5b50\u4e0a"},
    ]},
    {"name": "chat_robot_multiturn", "kind": "chat", "messages": [
        {"role": "system", "content": ROBOT_SYSTEM},
        {"role": "user", "content": "move forward 2 meters"},
        {"role": "assistant", "content": "{\"task\": \"move\", \"direction\": \"forward\", \"distance_m\": 2}"},
        {"role": "user", "content": "now turn left and stop"},
    ]},
]


def f32_repr(x: float) -> float:
    """Shortest decimal that round-trips the float32 value (stored as a JSON number)."""
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def render_chat(template: str, messages: list[dict]) -> str:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(loader=jinja2.BaseLoader(), trim_blocks=True, lstrip_blocks=True)

    def raise_exception(message):
        raise ValueError(message)

    return env.from_string(template).render(
        messages=messages, add_generation_prompt=True, raise_exception=raise_exception, tools=None
    )


def manual_chatml(messages: list[dict]) -> str:
    s = ""
    if messages[0]["role"] != "system":
        s += "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    for m in messages:
        s += f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n"
    return s + "<|im_start|>assistant\n"


class Runner:
    def __init__(self, model_path: Path):
        self.llm = Llama(
            model_path=str(model_path),
            n_ctx=N_CTX,
            n_batch=N_BATCH,
            n_ubatch=N_BATCH,
            n_threads=N_THREADS,
            n_threads_batch=N_THREADS,
            n_gpu_layers=0,
            seed=0,
            logits_all=False,
            flash_attn=False,
            verbose=False,
        )
        self.n_vocab = self.llm.n_vocab()

    def last_logits(self) -> np.ndarray:
        ptr = llama_cpp.llama_get_logits_ith(self.llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float32).copy()

    def prefill(self, ids: list[int]) -> np.ndarray:
        self.llm.reset()
        self.llm.eval(ids)
        return self.last_logits()

    def greedy(self, ids: list[int], n: int, stop_ids: set[int]) -> tuple[list[int], list[float], bool]:
        logits = self.prefill(ids)
        out: list[int] = []
        margins: list[float] = []
        stopped = False
        for _ in range(n):
            tok = int(np.argmax(logits))  # ties -> lowest id
            top2 = np.partition(logits, -2)[-2:]
            margins.append(f32_repr(float(top2[1] - top2[0])))
            out.append(tok)
            if tok in stop_ids:
                stopped = True
                break
            self.llm.eval([tok])
            logits = self.last_logits()
        return out, margins, stopped

    def tokenize(self, text: str, special: bool, add_bos: bool) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    def c_detokenize(self, ids: list[int], remove_special: bool, unparse_special: bool) -> bytes:
        """llama.cpp's own llama_detokenize (not llama-cpp-python's Python loop)."""
        vocab = self.llm._model.vocab
        arr = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
        cap = 64 + 32 * len(ids)
        buf = ctypes.create_string_buffer(cap)
        n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, cap, remove_special, unparse_special)
        if n < 0:
            raise RuntimeError(f"llama_detokenize needs {-n} bytes")
        return buf.raw[:n]

    def piece(self, tok: int, special: bool = True) -> bytes:
        # NOT llama-cpp-python's LlamaModel.token_to_piece: that returns the whole 32-byte buffer
        # (NUL padded) and truncates longer pieces.
        vocab = self.llm._model.vocab
        cap = 64
        while True:
            buf = ctypes.create_string_buffer(cap)
            n = llama_cpp.llama_token_to_piece(vocab, tok, buf, cap, 0, special)
            if n >= 0:
                return buf.raw[:n]
            cap = -n

    def vocab_attrs(self) -> dict:
        """Tokens whose llama.cpp attributes are not plain NORMAL, and the end-of-generation set."""
        vocab = self.llm._model.vocab
        names = {1: "UNKNOWN", 2: "UNUSED", 4: "NORMAL", 8: "CONTROL", 16: "USER_DEFINED", 32: "BYTE"}
        special, eog = [], []
        for t in range(self.n_vocab):
            a = int(llama_cpp.llama_vocab_get_attr(vocab, t))
            if llama_cpp.llama_vocab_is_eog(vocab, t):
                eog.append(t)
            if a & (8 | 16 | 1):
                special.append({"id": t, "piece": self.piece(t).decode("utf-8", "replace"),
                                "attr": [v for k, v in names.items() if a & k]})
        return {"control_or_user_defined": special, "eog_ids": eog}


def bytes_field(b: bytes) -> dict:
    try:
        return {"text": b.decode("utf-8")}
    except UnicodeDecodeError:
        return {"hex": b.hex()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args()
    model_path = Path(args.model).expanduser()
    out = Path(args.out)
    if not model_path.is_file():
        print(f"model not found: {model_path}\nrun: python3 scripts/models/fetch_qwen_gguf.py", file=sys.stderr)
        return 1
    (out / "logits").mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    model_sha = sha256_file(model_path)
    timings["sha256_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    r = Runner(model_path)
    timings["load_s"] = time.perf_counter() - t0
    md = r.llm.metadata
    add_bos_meta = md.get("tokenizer.ggml.add_bos_token", "false") == "true"
    bos = r.llm.token_bos()
    eos = r.llm.token_eos()
    chat_template = md.get("tokenizer.chat_template", "")
    im_end = r.tokenize("<|im_end|>", special=True, add_bos=False)
    endoftext = r.tokenize("<|endoftext|>", special=True, add_bos=False)
    vocab_attrs = r.vocab_attrs()
    # Stop on llama.cpp's end-of-generation set (llama_vocab_is_eog), which is larger than
    # {eos}: it includes <|endoftext|>, <|fim_pad|>, <|repo_name|>, <|file_sep|> and "</s>".
    stop_ids = set(vocab_attrs["eog_ids"])

    # ---------------------------------------------------------------- tokenization
    t0 = time.perf_counter()
    items = corpus()
    n_diff = 0
    n_pydetok_bug = 0
    with open(out / "tokenization.jsonl", "w", encoding="utf-8") as f:
        for i, (cat, text) in enumerate(items):
            ids_sp = r.tokenize(text, special=True, add_bos=add_bos_meta)
            ids_nosp = r.tokenize(text, special=False, add_bos=add_bos_meta)
            rec: dict = {"id": i, "category": cat, "text": text, "n_utf8_bytes": len(text.encode("utf-8")),
                         "ids": ids_sp}
            if ids_nosp != ids_sp:
                rec["ids_special_false"] = ids_nosp
                n_diff += 1
            if cat != "long":
                rec["pieces_hex"] = [r.piece(t, special=True).hex() for t in ids_sp]
            # Round trips for a subset: every 3rd string, plus everything with special tokens.
            if i % 3 == 0 or cat in ("special_tokens", "chat"):
                py_detok = r.llm.detokenize(ids_sp, special=True)
                c_keep = r.c_detokenize(ids_sp, remove_special=False, unparse_special=True)
                c_drop = r.c_detokenize(ids_sp, remove_special=False, unparse_special=False)
                rec["detokenize"] = {
                    # llama_detokenize(remove_special=false, unparse_special=true)
                    "unparse_special_true": bytes_field(c_keep),
                    "unparse_special_true_equals_text": c_keep == text.encode("utf-8"),
                    # llama_detokenize(remove_special=false, unparse_special=false): control tokens vanish
                    "unparse_special_false": bytes_field(c_drop),
                }
                if py_detok != c_keep:
                    # llama-cpp-python's Llama.detokenize uses a 32-byte piece buffer and silently
                    # drops longer pieces (e.g. Qwen's long whitespace-run tokens).
                    rec["detokenize"]["llama_cpp_python_detokenize"] = bytes_field(py_detok)
                    n_pydetok_bug += 1
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    timings["tokenization_s"] = time.perf_counter() - t0

    # ---------------------------------------------------------------- prompts, logits, greedy
    prompts_out = []
    greedy_out = []
    t_prefill = 0.0
    t_greedy = 0.0
    for k, p in enumerate(PROMPTS):
        if p["kind"] == "chat":
            text = render_chat(chat_template, p["messages"])
            assert text == manual_chatml(p["messages"]), f"template rendering differs from plain ChatML for {p['name']}"
        else:
            text = p["text"]
        ids = r.tokenize(text, special=True, add_bos=add_bos_meta)
        t0 = time.perf_counter()
        logits = r.prefill(ids)
        t_prefill += time.perf_counter() - t0
        again = r.prefill(ids)
        deterministic = bool(np.array_equal(logits, again))
        fname = f"logits/{k:02d}.f16"
        logits.astype("<f2").tofile(out / fname)
        order = np.argsort(-logits, kind="stable")[:10]
        prompts_out.append({
            "index": k,
            "name": p["name"],
            "kind": p["kind"],
            **({"messages": p["messages"]} if p["kind"] == "chat" else {}),
            "text": text,
            "token_ids": ids,
            "n_tokens": len(ids),
            "logits_file": fname,
            "logits_dtype": "float16 little-endian",
            "logits_count": int(logits.size),
            "argmax": int(np.argmax(logits)),
            "argmax_piece": bytes_field(r.piece(int(np.argmax(logits)))),
            "top10": [{"id": int(t), "logit": f32_repr(float(logits[t]))} for t in order],
            "logits_stats_f32": {"min": f32_repr(float(logits.min())), "max": f32_repr(float(logits.max())),
                                 "mean": f32_repr(float(logits.mean(dtype=np.float64))),
                                 "std": f32_repr(float(logits.std(dtype=np.float64)))},
            "deterministic_rerun": deterministic,
        })
        t0 = time.perf_counter()
        gen, margins, stopped = r.greedy(ids, N_GREEDY, stop_ids)
        t_greedy += time.perf_counter() - t0
        greedy_out.append({
            "index": k,
            "name": p["name"],
            "prompt_token_ids": ids,
            "generated_ids": gen,
            "generated_text": r.c_detokenize(gen, False, True).decode("utf-8", "replace"),
            "generated_text_unparse_special_false": r.c_detokenize(gen, False, False).decode("utf-8", "replace"),
            "stopped_at_stop_token": stopped,
            "top1_minus_top2_logit": margins,
        })
        print(f"[{k}] {p['name']}: {len(ids)} tokens, argmax {int(np.argmax(logits))}, "
              f"greedy {len(gen)} (min margin {min(margins):.3f}) -> {greedy_out[-1]['generated_text']!r}", flush=True)
    timings["prefill_all_prompts_s"] = t_prefill
    timings["greedy_all_prompts_s"] = t_greedy

    with open(out / "prompts.json", "w", encoding="utf-8") as f:
        json.dump({"n_vocab": r.n_vocab, "add_bos": add_bos_meta, "prompts": prompts_out}, f, ensure_ascii=False, indent=1)
    with open(out / "greedy.json", "w", encoding="utf-8") as f:
        json.dump({
            "n_new_tokens_max": N_GREEDY,
            "method": ("argmax over the raw float32 logits from llama_get_logits_ith(ctx, -1) after each "
                       "llama_decode (prompt in one batch, then one token per decode, KV cache kept); "
                       "no sampler at all, so repeat_penalty/top_k/top_p/min_p/temperature play no part; "
                       "ties -> lowest id; stops after emitting one of stop_token_ids (included in generated_ids)"),
            "stop_token_ids": sorted(stop_ids),
            "results": greedy_out,
        }, f, ensure_ascii=False, indent=1)

    hello = "Hello world"
    metadata = {
        "model_file": model_path.name,
        "model_sha256": model_sha,
        "model_size_bytes": model_path.stat().st_size,
        "llama_cpp": build_info(),
        "context": {"n_ctx": N_CTX, "n_batch": N_BATCH, "n_ubatch": N_BATCH, "n_threads": N_THREADS,
                    "n_threads_batch": N_THREADS, "flash_attn": False, "n_gpu_layers": 0, "seed": 0,
                    "kv_cache_type": "f16 (default)"},
        "n_vocab": r.n_vocab,
        "n_ctx_train": r.llm._model.n_ctx_train(),
        "bos_token_id": bos,
        "eos_token_id": eos,
        "im_end_ids": im_end,
        "endoftext_ids": endoftext,
        "tokenizer.ggml.model": md.get("tokenizer.ggml.model"),
        "tokenizer.ggml.pre": md.get("tokenizer.ggml.pre"),
        "tokenizer.ggml.add_bos_token": md.get("tokenizer.ggml.add_bos_token"),
        "tokenize_add_bos_used": add_bos_meta,
        "bos_check": {
            "text": hello,
            "add_bos_false": r.tokenize(hello, special=True, add_bos=False),
            "add_bos_true": r.tokenize(hello, special=True, add_bos=True),
            "note": "Llama.tokenize(add_bos=True) == llama_tokenize(add_special=True); llama.cpp adds BOS only if the GGUF says tokenizer.ggml.add_bos_token=true",
        },
        "gguf_metadata": {k: v for k, v in md.items() if k != "tokenizer.chat_template"},
        "llama_cpp_vocab_attributes": vocab_attrs,
        "chat_template": chat_template,
        "tokenization": {"n_strings": len(items), "n_special_true_vs_false_differ": n_diff,
                         "n_llama_cpp_python_detokenize_differs_from_llama_detokenize": n_pydetok_bug},
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    with open(out / "metadata.json", "w", encoding="utf-8") as f:
        json.dump(metadata, f, ensure_ascii=False, indent=1)
    print(json.dumps(metadata["timings"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
