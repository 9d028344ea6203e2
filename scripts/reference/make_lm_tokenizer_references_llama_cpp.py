#!/usr/bin/env python3
"""llama.cpp's tokenization of the corpus for every GGUF in a folder (see
make_lm_tokenizer_fixtures.py); writes <name>.jsonl next to each <name>.gguf. Per string:
`text`, `ids` (add_special=False, parse_special=True), `ids_special_false`
(parse_special=False), `ids_add_special` (add_special=True, parse_special=True), and
`detokenize_hex` (llama_detokenize of `ids`, remove_special=False, unparse_special=True).

usage: /work/.venv-llama/bin/python scripts/reference/make_lm_tokenizer_references_llama_cpp.py --dir D
"""
from __future__ import annotations

import argparse
import ctypes
import json
import sys
from pathlib import Path

import llama_cpp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from tokenization_corpus import corpus  # noqa: E402


def tokenize(vocab, data: bytes, add_special: bool, parse_special: bool) -> list[int]:
    n = len(data) + 16
    buf = (llama_cpp.llama_token * n)()
    k = llama_cpp.llama_tokenize(vocab, data, len(data), buf, n, add_special, parse_special)
    assert k >= 0
    return list(buf[:k])


def detokenize(vocab, ids: list[int]) -> bytes:
    arr = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    n = len(ids) * 64 + 64
    out = ctypes.create_string_buffer(n)
    k = llama_cpp.llama_detokenize(vocab, arr, len(ids), out, n, False, True)
    assert k >= 0
    return out.raw[:k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    llama_cpp.llama_backend_init()
    for path in sorted(Path(args.dir).glob("*.gguf")):
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
        assert model, path
        vocab = llama_cpp.llama_model_get_vocab(model)
        lines = []
        for i, (cat, text) in enumerate(corpus()):
            data = text.encode("utf-8")
            ids = tokenize(vocab, data, False, True)
            lines.append(json.dumps({
                "id": i, "category": cat, "text": text, "ids": ids,
                "ids_special_false": tokenize(vocab, data, False, False),
                "ids_add_special": tokenize(vocab, data, True, True),
                "detokenize_hex": detokenize(vocab, ids).hex(),
            }, ensure_ascii=False))
        path.with_suffix(".jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        llama_cpp.llama_model_free(model)
        print(f"{path.name}: {len(lines)} strings")


if __name__ == "__main__":
    main()
