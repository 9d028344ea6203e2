#!/usr/bin/env python3
"""Loads the tiny GGUFs written by make_tiny_lm_fixtures.py with llama.cpp (llama-cpp-python)
and records llama.cpp's logits / greedy ids / tokenization next to the transformers reference.

    /work/.venv-llama/bin/python scripts/reference/make_tiny_lm_llama_cpp.py [--dir Tests/Fixtures/lm/tiny]

Writes <model>/llama_cpp.json for every <model>/reference.json found under --dir.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llama_cpp_info import build_info  # noqa: E402

import llama_cpp  # noqa: E402
from llama_cpp import Llama  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
GGML_TYPE_F32 = 0


def f32(x) -> float:
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def run_variant(gguf_path: Path, ref: dict, kv_f32: bool, ref_key: str) -> dict:
    kw = dict(type_k=GGML_TYPE_F32, type_v=GGML_TYPE_F32) if kv_f32 else {}
    llm = Llama(model_path=str(gguf_path), n_ctx=256, n_batch=256, n_ubatch=256, n_threads=2,
                n_threads_batch=2, logits_all=True, flash_attn=False, seed=0, verbose=False, **kw)
    out = {"gguf": gguf_path.name, "kv_cache_type": "f32" if kv_f32 else "f16 (llama.cpp default)",
           "compared_against": ref_key, "n_vocab": llm.n_vocab(), "sequences": []}
    worst = 0.0
    for s in ref["sequences"]:
        ids = s["ids"]
        llm.reset()
        llm.eval(ids)
        got = np.array(llm.scores[: len(ids)], dtype=np.float32)
        want = np.array(s[ref_key], dtype=np.float32)
        want_f32 = np.array(s["logits"], dtype=np.float32)
        diff = float(np.abs(got - want).max())
        worst = max(worst, diff)
        # greedy, incremental (KV cache), plain argmax on llama.cpp's logits
        gen = []
        logits = got[-1]
        for _ in range(len(s["greedy_ids"])):
            tok = int(np.argmax(logits))
            gen.append(tok)
            llm.eval([tok])
            logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        ref_greedy = s["greedy_ids_q8_0_dequantized"] if ref_key == "logits_q8_0_dequantized" else s["greedy_ids"]
        out["sequences"].append({
            "name": s["name"],
            "ids": ids,
            "max_abs_diff_all_positions": f32(diff),
            "max_abs_diff_vs_hf_f32_weights": f32(np.abs(got - want_f32).max()),
            "argmax_agrees_all_positions": bool((got.argmax(1) == want.argmax(1)).all()),
            "last_position_logits": [f32(v) for v in got[-1]],
            "greedy_ids": gen,
            "greedy_matches_transformers": gen == ref_greedy,
        })
    out["max_abs_diff"] = f32(worst)
    toks = []
    for t in ref["tokenizer_checks"]:
        ids = llm.tokenize(t["text"].encode("utf-8"), add_bos=False, special=True)
        toks.append({"text": t["text"], "ids": ids, "matches_hf_tokenizers": ids == t["ids"],
                     "detokenized_equals_text": llm.detokenize(ids, special=True) == t["text"].encode("utf-8")})
    out["tokenizer_checks"] = toks
    del llm
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(REPO / "Tests/Fixtures/lm/tiny"))
    args = ap.parse_args()
    summary = []
    for ref_path in sorted(Path(args.dir).glob("*/reference.json")):
        ref = json.loads(ref_path.read_text())
        d = ref_path.parent
        runs = [
            run_variant(d / "model-f32.gguf", ref, kv_f32=False, ref_key="logits"),
            run_variant(d / "model-f32.gguf", ref, kv_f32=True, ref_key="logits"),
            run_variant(d / "model-q8_0.gguf", ref, kv_f32=False, ref_key="logits_q8_0_dequantized"),
        ]
        result = {"model": ref["model"], "llama_cpp": build_info(), "runs": runs}
        (d / "llama_cpp.json").write_text(json.dumps(result, separators=(",", ":")) + "\n")
        for r in runs:
            line = {"model": ref["model"], "gguf": r["gguf"], "kv": r["kv_cache_type"], "vs": r["compared_against"],
                    "max_abs_diff": r["max_abs_diff"],
                    "max_abs_diff_vs_hf_f32": max(s["max_abs_diff_vs_hf_f32_weights"] for s in r["sequences"]),
                    "greedy_match": [s["greedy_matches_transformers"] for s in r["sequences"]],
                    "tokenizer_match": all(t["matches_hf_tokenizers"] for t in r["tokenizer_checks"])}
            summary.append(line)
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
