#!/usr/bin/env python3
"""Cross-checks llama.cpp's Qwen tokenization (tokenization.jsonl, written by
make_qwen_references.py) against Hugging Face transformers.

    /work/.venv-fixtures/bin/python scripts/reference/crosscheck_qwen_tokenizer_hf.py \
        [--model ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf] \
        [--fixtures Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m]

No hub access here, so the HF tokenizer is rebuilt by transformers from the GGUF's own
vocabulary/merges (AutoTokenizer.from_pretrained(dir, gguf_file=...), which yields a
Qwen2Tokenizer with the Qwen2 pre-tokenizer regex and the added tokens). Writes
hf_tokenizer_crosscheck.json with every string where the two disagree.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = Path.home() / ".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
DEFAULT_FIXTURES = REPO / "Tests/Fixtures/lm/qwen2.5-coder-0.5b-q4_k_m"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--fixtures", default=str(DEFAULT_FIXTURES))
    args = ap.parse_args()
    import transformers
    from transformers import AutoTokenizer

    model = Path(args.model).expanduser().resolve()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / model.name).symlink_to(model)
        tok = AutoTokenizer.from_pretrained(tmp, gguf_file=model.name)
    fx = Path(args.fixtures)
    recs = [json.loads(line) for line in open(fx / "tokenization.jsonl", encoding="utf-8")]
    mism_sp, mism_nosp = [], []
    for r in recs:
        hf = tok.encode(r["text"], add_special_tokens=False)
        if hf != r["ids"]:
            mism_sp.append({"id": r["id"], "text": r["text"], "llama_cpp": r["ids"], "hf": hf})
        hf_split = tok(r["text"], add_special_tokens=False, split_special_tokens=True)["input_ids"]
        lc_nosp = r.get("ids_special_false", r["ids"])
        if hf_split != lc_nosp:
            mism_nosp.append({"id": r["id"], "text": r["text"], "llama_cpp_special_false": lc_nosp, "hf_split_special_tokens": hf_split})
    out = {
        "transformers": transformers.__version__,
        "hf_tokenizer": f"{type(tok).__name__} rebuilt from the GGUF by transformers (gguf_file=...)",
        "n_strings": len(recs),
        "special_true_vs_hf_default": {"n_mismatch": len(mism_sp), "mismatches": mism_sp},
        "special_false_vs_hf_split_special_tokens": {"n_mismatch": len(mism_nosp), "mismatches": mism_nosp},
    }
    (fx / "hf_tokenizer_crosscheck.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"n_strings": len(recs), "mismatch_special_true": [m["id"] for m in mism_sp],
                      "mismatch_special_false": [m["id"] for m in mism_nosp]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
