#!/usr/bin/env python3
"""Tokenizer-only GGUFs for the Swift LM tokenizer tests, written to Tests/Fixtures/lm/tokenizers/:

* spm-bpe.gguf -- a `llama` (SentencePiece BPE) vocabulary: a sentencepiece BPE model with
  byte fallback trained here (seeded, single thread) on the tokenization corpus, plus a
  user-defined token `<tool>` and a control token `<ctrl>`; converted the way
  convert_hf_to_gguf.py does (pieces, scores, token types), add_bos_token = true.
* gpt2-default.gguf, gpt2-llama-bpe.gguf, gpt2-gpt-2.gguf -- the byte-level BPE vocabulary of
  tiny/llama-gqa-untied with tokenizer.ggml.pre set to `default`, `llama-bpe` and `gpt-2`, to
  check those pre-tokenizers against llama.cpp.

Each GGUF has minimal `llama` hyper-parameters and no tensors (llama.cpp loads it with
vocab_only). Then make_lm_tokenizer_references_llama_cpp.py (llama venv) records llama.cpp's
ids for every corpus string next to each file.

usage: /work/.venv-fixtures/bin/python scripts/reference/make_lm_tokenizer_fixtures.py \
           [--out D] [--llama-python /work/.venv-llama/bin/python]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import gguf
import sentencepiece as spm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from tokenization_corpus import corpus  # noqa: E402


def base_writer(path: Path) -> gguf.GGUFWriter:
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(256)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(96)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    return w


def finish(w: gguf.GGUFWriter) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def make_spm(out: Path, work: Path) -> None:
    texts = [t for _, t in corpus()]
    train = [t for t in texts if "<|" not in t] * 4
    prefix = work / "spm"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(train), model_prefix=str(prefix), model_type="bpe", vocab_size=700,
        byte_fallback=True, character_coverage=0.98, user_defined_symbols=["<tool>"], control_symbols=["<ctrl>"],
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        split_digits=True, num_threads=1, seed_sentencepiece_size=100000, max_sentence_length=100000,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(work / "spm.model"))
    # GGUF token types as convert_hf_to_gguf.py assigns them (the Python API has no
    # user-defined query; `<tool>` is the only user-defined symbol).
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        tokens.append(piece.encode("utf-8"))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(2)
        elif sp.is_control(i):
            types.append(3)
        elif sp.is_unused(i):
            types.append(5)
        elif sp.is_byte(i):
            types.append(6)
        elif piece == "<tool>":
            types.append(4)
        else:
            types.append(1)
    w = base_writer(out / "spm-bpe.gguf")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_unk_token_id(sp.unk_id())
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    finish(w)


def make_gpt2_variants(out: Path) -> None:
    src = ROOT / "Tests/Fixtures/lm/tiny/llama-gqa-untied/model-f32.gguf"
    r = gguf.GGUFReader(str(src))
    f = r.fields
    tokens = [bytes(f["tokenizer.ggml.tokens"].parts[i]) for i in f["tokenizer.ggml.tokens"].data]
    merges = [bytes(f["tokenizer.ggml.merges"].parts[i]).decode("utf-8") for i in f["tokenizer.ggml.merges"].data]
    types = [int(f["tokenizer.ggml.token_type"].parts[i][0]) for i in f["tokenizer.ggml.token_type"].data]
    for pre in ["default", "llama-bpe", "gpt-2"]:
        w = base_writer(out / f"gpt2-{pre}.gguf")
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre(pre)
        w.add_token_list(tokens)
        w.add_token_types(types)
        w.add_token_merges(merges)
        w.add_bos_token_id(0)
        w.add_eos_token_id(2)
        w.add_add_bos_token(False)
        finish(w)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "Tests/Fixtures/lm/tokenizers"))
    ap.add_argument("--llama-python")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import tempfile
    with tempfile.TemporaryDirectory() as work:
        make_spm(out, Path(work))
    make_gpt2_variants(out)
    if args.llama_python:
        subprocess.run([args.llama_python, str(HERE / "make_lm_tokenizer_references_llama_cpp.py"), "--dir", str(out)], check=True)


if __name__ == "__main__":
    main()
