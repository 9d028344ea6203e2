#!/usr/bin/env python3
"""Tiny random-weight Llama and Qwen2 checkpoints (HF safetensors + GGUF F32 + GGUF Q8_0) and
transformers reference outputs, for the Swift language-model engine's tests.

    /work/.venv-fixtures/bin/python scripts/reference/make_tiny_lm_fixtures.py \
        [--out Tests/Fixtures/lm/tiny] [--llama-python /work/.venv-llama/bin/python]

With --llama-python, it afterwards runs make_tiny_lm_llama_cpp.py under that interpreter,
which loads the GGUFs with llama.cpp and writes llama_cpp.json next to reference.json.

The GGUF files are written with gguf-py exactly as llama.cpp's convert_hf_to_gguf.py
(vendored in llama-cpp-python 0.3.36, llama.cpp 0c1e57098) writes these architectures:
  * LlamaForCausalLM -> arch "llama": attn_q / attn_k weight rows are PERMUTED
    (LlamaModel.permute) because llama.cpp applies RoPE to adjacent pairs (2i, 2i+1)
    (LLAMA_ROPE_TYPE_NORM) while HF Llama rotates halves (i, i + d/2).
    Extra keys: llama.vocab_size, llama.rope.dimension_count.
  * Qwen2ForCausalLM -> arch "qwen2": NO permutation (llama.cpp uses LLAMA_ROPE_TYPE_NEOX,
    the same half-split layout as HF). q/k/v biases are stored as attn_{q,k,v}.bias.
  * Quantization rule (convert_hf_to_gguf.py prepare_tensors): 1-D tensors, *_norm.weight and
    biases stay F32; every other 2-D *.weight (token_embd, output, attn_*, ffn_*) becomes Q8_0
    in the Q8_0 file. Tied embeddings: no output.weight is written (llama.cpp then reuses
    token_embd.weight).
Everything is seeded; reruns give identical files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

import gguf
from safetensors.torch import save_file
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tokenization_corpus import corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "Tests/Fixtures/lm/tiny"

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN2_PRETOKENIZE_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
N_GREEDY = 16
TOKENIZER_CHECK_STRINGS = [
    "Hello world",
    "The robot picks up the red cup.",
    "def add(a, b):\n    return a + b\n",
    "x = 12345\n\n\ty",
    "caf\u00e9 \u4f60\u597d \U0001f916",
    "<|im_start|>user\npick up the red cup<|im_end|>\n<|im_start|>assistant\n",
]

MODELS = [
    {
        "name": "llama-gqa-untied",
        "arch": "llama",
        "vocab_size": 300,
        "gguf_pre": "gpt-2",
        "config": dict(
            hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, head_dim=16, max_position_embeddings=256, rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "default", "rope_theta": 500000.0}, hidden_act="silu",
            attention_bias=False, mlp_bias=False, tie_word_embeddings=False,
        ),
        "seed": 1234,
        "residual_gain": 1.0,
    },
    {
        "name": "qwen2-gqa-tied-qkvbias",
        "arch": "qwen2",
        "vocab_size": 320,
        "gguf_pre": "qwen2",
        "config": dict(
            hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 50000.0}, hidden_act="silu",
            tie_word_embeddings=True, use_sliding_window=False,
        ),
        "seed": 4321,
        # With tied embeddings the input token's own embedding dominates the final hidden state
        # and greedy decoding degenerates into repeating one token; stronger o_proj/down_proj
        # outputs avoid that.
        "residual_gain": 3.0,
    },
]


def f32(x) -> float:
    return float(np.format_float_positional(np.float32(x), unique=True, trim="-"))


def f32_list(a: np.ndarray):
    return [f32(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


# ----------------------------------------------------------------------------- tokenizer
def train_tokenizer(vocab_size: int, arch: str) -> Tokenizer:
    tok = Tokenizer(models.BPE())
    if arch == "qwen2":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ])
    else:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=1, show_progress=False, special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    texts = [t for _, t in corpus()] * 2
    tok.train_from_iterator(texts, trainer=trainer)
    assert tok.get_vocab_size() == vocab_size, (tok.get_vocab_size(), vocab_size)
    return tok


# ----------------------------------------------------------------------------- weights
def init_weights(model: torch.nn.Module, seed: int, tied: bool, residual_gain: float) -> None:
    """Random weights with O(1) activations and well-spread logits (default HF init, std 0.02,
    gives near-uniform logits whose greedy argmax is decided by noise)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if name.endswith("norm.weight"):
                # final norm x2 when tied: keeps the logits spread with the smaller embedding
                scale = 2.0 if (tied and name == "model.norm.weight") else 1.0
                p.copy_(scale * (1.0 + 0.2 * torch.randn(p.shape, generator=g)))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith("embed_tokens.weight"):
                p.copy_((0.2 if tied else 1.0) * torch.randn(p.shape, generator=g))
            elif name.endswith("lm_head.weight"):
                p.copy_(0.45 * torch.randn(p.shape, generator=g))
            else:
                gain = residual_gain if name.endswith(("o_proj.weight", "down_proj.weight")) else 1.0
                p.copy_(gain * torch.randn(p.shape, generator=g) / np.sqrt(p.shape[1]))


def permute_llama(w: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    """convert_hf_to_gguf.py LlamaModel.permute (HF half-split RoPE rows -> llama.cpp interleaved)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def unpermute_llama(w: np.ndarray, n_head: int, n_head_kv: int | None) -> np.ndarray:
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


# ----------------------------------------------------------------------------- GGUF
def write_gguf(path: Path, spec: dict, cfg, state: dict[str, torch.Tensor], tok: Tokenizer, ftype: int) -> list[dict]:
    arch_enum = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2}[spec["arch"]]
    arch = gguf.MODEL_ARCH_NAMES[arch_enum]
    n_layer = cfg.num_hidden_layers
    tmap = gguf.get_tensor_name_map(arch_enum, n_layer)
    w = gguf.GGUFWriter(str(path), arch)

    # -- general.* (as ModelBase.prepare_metadata / set_type write them)
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(f"Sightline tiny {spec['name']}")
    # -- hyper-parameters (TextModel.set_gguf_parameters)
    w.add_block_count(n_layer)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(float(cfg.rope_parameters["rope_theta"]))
    w.add_layer_norm_rms_eps(float(cfg.rms_norm_eps))
    if spec["arch"] == "llama":
        # LlamaModel.set_gguf_parameters; head_dim is in config.json, so key/value length too
        w.add_key_length(cfg.head_dim)
        w.add_value_length(cfg.head_dim)
        w.add_vocab_size(cfg.vocab_size)
        w.add_rope_dimension_count(cfg.head_dim)
    w.add_file_type(ftype)
    # -- tokenizer (TextModel._set_vocab_gpt2 + SpecialVocab)
    vocab = tok.get_vocab()
    inv = {i: t for t, i in vocab.items()}
    tokens = [inv[i] for i in range(cfg.vocab_size)]
    toktypes = [gguf.TokenType.CONTROL if t in SPECIALS else gguf.TokenType.NORMAL for t in tokens]
    merges = [" ".join(m) if isinstance(m, (list, tuple)) else m
              for m in json.loads(tok.to_str())["model"]["merges"]]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(spec["gguf_pre"])
    w.add_token_list(tokens)
    w.add_token_types(toktypes)
    w.add_token_merges(merges)
    w.add_bos_token_id(vocab["<|endoftext|>"])
    w.add_eos_token_id(vocab["<|im_end|>"])
    w.add_pad_token_id(vocab["<|endoftext|>"])
    w.add_add_bos_token(False)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)

    rows = []
    n_head, n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
    for hf_name in state:  # safetensors order == sorted names
        data = state[hf_name].detach().float().numpy().copy()
        permuted = False
        if spec["arch"] == "llama":
            if hf_name.endswith(("q_proj.weight", "q_proj.bias")):
                data = permute_llama(data, n_head, n_head)
                permuted = True
            elif hf_name.endswith(("k_proj.weight", "k_proj.bias")):
                data = permute_llama(data, n_head, n_kv)
                permuted = True
        new_name = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        assert new_name is not None, hf_name
        if data.ndim <= 1 or new_name.endswith("_norm.weight") or not new_name.endswith(".weight"):
            qtype = gguf.GGMLQuantizationType.F32
        elif ftype == gguf.LlamaFileType.MOSTLY_Q8_0:
            qtype = gguf.GGMLQuantizationType.Q8_0
        else:
            qtype = gguf.GGMLQuantizationType.F32
        q = gguf.quants.quantize(data.astype(np.float32), qtype)
        w.add_tensor(new_name, q, raw_dtype=qtype)
        rows.append({"hf": hf_name, "gguf": new_name, "hf_shape": list(data.shape),
                     "gguf_ne": list(reversed(data.shape)), "type": qtype.name, "rope_permuted": permuted})
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return rows


def load_dequantized_state(path: Path, spec: dict, cfg, rows: list[dict]) -> dict[str, torch.Tensor]:
    """Reads a GGUF back with gguf-py, dequantizes, undoes the Llama Q/K permutation -> HF state dict."""
    r = gguf.GGUFReader(str(path))
    by_name = {t.name: t for t in r.tensors}
    out = {}
    for row in rows:
        t = by_name[row["gguf"]]
        arr = gguf.quants.dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32).reshape(row["hf_shape"])
        if row["rope_permuted"]:
            is_k = "k_proj" in row["hf"]
            arr = unpermute_llama(arr, cfg.num_attention_heads, cfg.num_key_value_heads if is_k else cfg.num_attention_heads)
        out[row["hf"]] = torch.from_numpy(arr.copy())
    return out


# ----------------------------------------------------------------------------- reference
@torch.no_grad()
def all_logits(model, ids: list[int]) -> np.ndarray:
    return model(torch.tensor([ids])).logits[0].float().numpy()


@torch.no_grad()
def greedy(model, ids: list[int], n: int) -> tuple[list[int], list[float]]:
    """Full recompute each step, plain argmax (ties -> lowest id), no EOS stop."""
    cur = list(ids)
    gen, margins = [], []
    for _ in range(n):
        last = all_logits(model, cur)[-1]
        tok = int(np.argmax(last))
        top2 = np.sort(last)[-2:]
        gen.append(tok)
        margins.append(f32(top2[1] - top2[0]))
        cur.append(tok)
    return gen, margins


def make_sequences(tok: Tokenizer, vocab_size: int) -> list[dict]:
    v = tok.get_vocab()
    seq_b = tok.encode("<|im_start|>user\nThe robot picks up the red cup.<|im_end|>", add_special_tokens=False).ids
    seq_c = [(7 * i * i + 3 * i + 11) % vocab_size for i in range(20)]
    return [
        {"name": "single_token", "ids": [v["<|im_start|>"]]},
        {"name": "tokenized_text", "ids": seq_b[:12]},
        {"name": "pseudo_random_20", "ids": seq_c},
    ]


def build_one(spec: dict, out_dir: Path) -> dict:
    torch.manual_seed(spec["seed"])
    tok = train_tokenizer(spec["vocab_size"], spec["arch"])
    Cfg, Model = (LlamaConfig, LlamaForCausalLM) if spec["arch"] == "llama" else (Qwen2Config, Qwen2ForCausalLM)
    v = tok.get_vocab()
    cfg = Cfg(vocab_size=spec["vocab_size"], bos_token_id=v["<|endoftext|>"], eos_token_id=v["<|im_end|>"],
              pad_token_id=v["<|endoftext|>"], torch_dtype="float32", **spec["config"])
    cfg._attn_implementation = "eager"
    model = Model(cfg).float().eval()
    init_weights(model, spec["seed"], cfg.tie_word_embeddings, spec["residual_gain"])
    if cfg.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()

    if out_dir.exists():
        shutil.rmtree(out_dir)
    hf_dir = out_dir / "hf"
    hf_dir.mkdir(parents=True)
    cfg_dict = cfg.to_dict()
    cfg_dict["architectures"] = [Model.__name__]
    (hf_dir / "config.json").write_text(json.dumps(cfg_dict, indent=2, sort_keys=True) + "\n")
    state = {k: t.detach().contiguous().clone() for k, t in sorted(model.state_dict().items())}
    if cfg.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # HF does not store the tied head
    save_file(state, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    tok.save(str(hf_dir / "tokenizer.json"))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=None, eos_token="<|im_end|>",
                                   pad_token="<|endoftext|>", additional_special_tokens=SPECIALS)
    (hf_dir / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "bos_token": None, "add_bos_token": False, "model_max_length": cfg.max_position_embeddings,
    }, indent=2) + "\n")

    # Sanity: reload through transformers and compare.
    reloaded = Model.from_pretrained(str(hf_dir), attn_implementation="eager", dtype=torch.float32).eval()

    rows_f32 = write_gguf(out_dir / "model-f32.gguf", spec, cfg, state, tok, gguf.LlamaFileType.ALL_F32)
    rows_q8 = write_gguf(out_dir / "model-q8_0.gguf", spec, cfg, state, tok, gguf.LlamaFileType.MOSTLY_Q8_0)

    # The Q8_0 GGUF's weights dequantized back into the HF model -> exact transformers reference
    # for an engine that dequantizes Q8_0 and then computes in float32.
    q8_model = Model(cfg).float().eval()
    q8_state = load_dequantized_state(out_dir / "model-q8_0.gguf", spec, cfg, rows_q8)
    missing, unexpected = q8_model.load_state_dict(q8_state, strict=False)
    assert not unexpected and set(missing) <= {"lm_head.weight"}, (missing, unexpected)
    if cfg.tie_word_embeddings:
        q8_model.tie_weights()
    # F32 GGUF round trip must be bit exact.
    f32_back = load_dequantized_state(out_dir / "model-f32.gguf", spec, cfg, rows_f32)
    for k in f32_back:
        assert torch.equal(f32_back[k], state[k]), k

    seqs = make_sequences(tok, cfg.vocab_size)
    ref_seqs = []
    for s in seqs:
        lg = all_logits(model, s["ids"])
        lg2 = all_logits(reloaded, s["ids"])
        assert np.array_equal(lg, lg2)
        lq = all_logits(q8_model, s["ids"])
        gen, margins = greedy(model, s["ids"], N_GREEDY)
        gen_q8, margins_q8 = greedy(q8_model, s["ids"], N_GREEDY)
        ref_seqs.append({
            "name": s["name"],
            "ids": s["ids"],
            "logits": [f32_list(row) for row in lg],
            "logits_q8_0_dequantized": [f32_list(row) for row in lq],
            "max_abs_diff_q8_0_dequantized_vs_f32": f32(np.abs(lq - lg).max()),
            "greedy_ids": gen,
            "greedy_top1_minus_top2": margins,
            "greedy_ids_q8_0_dequantized": gen_q8,
            "greedy_top1_minus_top2_q8_0_dequantized": margins_q8,
        })
    tok_checks = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in TOKENIZER_CHECK_STRINGS]

    reference = {
        "model": spec["name"],
        "hf_architecture": Model.__name__,
        "gguf_architecture": spec["arch"],
        "rope": ("llama.cpp LLAMA_ROPE_TYPE_NORM (pairs 2i,2i+1); GGUF attn_q/attn_k rows permuted vs HF "
                 "(LlamaModel.permute, applied with n_head for Q and n_head_kv for K)") if spec["arch"] == "llama"
                else "llama.cpp LLAMA_ROPE_TYPE_NEOX (pairs i, i+d/2, same as HF rotate_half); no permutation",
        "config": {k: cfg_dict[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                            "num_attention_heads", "num_key_value_heads", "rms_norm_eps",
                                            "rope_parameters", "tie_word_embeddings", "max_position_embeddings")},
        "head_dim": getattr(cfg, "head_dim", cfg.hidden_size // cfg.num_attention_heads),
        "special_token_ids": {t: v[t] for t in SPECIALS},
        "tensors_f32_gguf": rows_f32,
        "tensors_q8_0_gguf": rows_q8,
        "torch": torch.__version__,
        "attn_implementation": "eager",
        "logits_note": "logits[i] = next-token logits after ids[:i+1] (float32, full vocab, one row per position)",
        "sequences": ref_seqs,
        "tokenizer_checks": tok_checks,
    }
    (out_dir / "reference.json").write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    return {"name": spec["name"], "dir": str(out_dir)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--llama-python", default=None,
                    help="python of a venv with llama-cpp-python; runs make_tiny_lm_llama_cpp.py afterwards")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for spec in MODELS:
        info = build_one(spec, out / spec["name"])
        print("wrote", info["dir"], flush=True)
    if args.llama_python:
        script = Path(__file__).resolve().parent / "make_tiny_lm_llama_cpp.py"
        subprocess.run([args.llama_python, str(script), "--dir", str(out)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
