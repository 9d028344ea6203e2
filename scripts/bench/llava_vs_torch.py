#!/usr/bin/env python3
"""Side-by-side LLaVA-1.5 image cost: Sightline vs PyTorch (transformers) on the real
ViT-L/14-336 vision tower + mlp2x_gelu projector with random weights made here under /tmp
(never committed), then Sightline's prefill of 576 / 144 / 36 image rows on the real
Qwen2.5 0.5B GGUF.

    /work/.venv-fixtures/bin/python scripts/bench/llava_vs_torch.py [--iterations 5] [--threads 2]
        [--language-model ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf]

Needs the release build (`swift build -c release --product sightline`) and the packages in
scripts/fixtures/requirements.txt. The projector maps CLIP's 1024 features to 896, the hidden
size of Qwen2.5 0.5B, so the image rows can be spliced into that model (LLaVA-1.5-7B's
projector maps to 4096 for Vicuna-7B; the tower, 95% of the image's cost, is the same).

PyTorch runs what transformers' LlavaModel.get_image_features runs: CLIPVisionModel with
output_hidden_states (all 24 blocks; it takes hidden_states[-2]), the class token dropped, the
projector. Sightline runs the 23 blocks the feature layer needs. Both get the same thread
count and are timed in this process's run; each figure is a median. Ratios below 1 mean
Sightline is faster. Sightline runs fp32 (exact) and bf16 (AVX512_BF16 Linear layers).
"""
import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import CLIPVisionConfig, CLIPVisionModel, LlavaConfig, Qwen2Config
from transformers.models.llava.modeling_llava import LlavaMultiModalProjector

REPO = Path(__file__).resolve().parents[2]
QWEN = Path.home() / ".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def median_ms(fn, iterations):
    fn()  # warm-up: oneDNN primitive creation, first touch of weights
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="/tmp/sightline-bench/llava-vit-l14-336-random")
    parser.add_argument("--language-model", default=str(QWEN))
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    # openai/clip-vit-large-patch14-336, as LLaVA-1.5 uses it
    vision = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                              image_size=336, patch_size=14, projection_dim=768, hidden_act="quick_gelu")
    text = Qwen2Config(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                       num_key_value_heads=2, vocab_size=151936)
    config = LlavaConfig(vision_config=vision.to_dict(), text_config=text.to_dict(), vision_feature_layer=-2,
                         vision_feature_select_strategy="default", image_seq_length=576)
    tower = CLIPVisionModel(vision).eval()
    projector = LlavaMultiModalProjector(config).eval()
    if not (out / "model.safetensors").exists():
        out.mkdir(parents=True, exist_ok=True)
        # the vision side of a LLaVA folder in llava-hf's names (the language model is not needed here)
        state = {"vision_tower." + k: v.contiguous() for k, v in tower.state_dict().items()}
        state.update({"multi_modal_projector." + k: v.contiguous() for k, v in projector.state_dict().items()})
        save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
        cfg = config.to_dict()
        cfg["architectures"] = ["LlavaForConditionalGeneration"]
        cfg["image_aspect_ratio"] = "pad"
        (out / "config.json").write_text(json.dumps(cfg, indent=2))
        (out / "preprocessor_config.json").write_text(json.dumps({
            "size": {"shortest_edge": 336}, "crop_size": {"height": 336, "width": 336}, "do_pad": True,
            "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}))

    pixels = torch.randn(1, 3, 336, 336, generator=torch.Generator().manual_seed(1))

    def torch_image():
        hidden = tower(pixel_values=pixels, output_hidden_states=True).hidden_states[-2][:, 1:]
        return projector(hidden)

    with torch.inference_mode():
        torch_tower_ms = median_ms(lambda: tower(pixel_values=pixels), args.iterations)
        torch_image_ms = median_ms(torch_image, args.iterations)

    binary = REPO / ".build" / "release" / "sightline"

    def sightline(precision, language_model=None):
        command = [str(binary), "bench", "llava", "--model", str(out), "--iterations", str(args.iterations),
                   "--threads", str(args.threads), "--precision", precision, "--json"]
        if language_model:
            command += ["--language-model", language_model, "--pooling", "1", "2", "4"]
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        return json.loads(result.stdout)

    runs = {"fp32": sightline("fp32"), "bf16": sightline("bf16")}
    print(f"LLaVA-1.5 image: ViT-L/14-336 + mlp2x_gelu projector, random weights, {args.threads} threads, "
          f"median of {args.iterations} (torch {torch.__version__})")
    print(f"  PyTorch tower alone (24 blocks, no hidden states kept): {torch_tower_ms:8.1f} ms")
    print(f"  PyTorch get_image_features equivalent:                  {torch_image_ms:8.1f} ms")
    for precision, ours in runs.items():
        print(f"  Sightline {precision:4} (ran as {ours['precision']}) tower + projector: {ours['image_ms']:8.1f} ms"
              f"  ratio {ours['image_ms'] / torch_image_ms:.2f}  (vs tower alone {ours['image_ms'] / torch_tower_ms:.2f})")

    if os.path.exists(args.language_model):
        lm = sightline("bf16", args.language_model)
        print(f"Prefill on {Path(args.language_model).name}, {args.threads} threads, median of 3:")
        for p in lm["prefill"]:
            print(f"  pool {p['pool']}: {p['image_rows']:4d} image rows, {p['prompt_positions']:4d} positions: "
                  f"{p['prefill_ms']:8.1f} ms")
    else:
        print(f"(no {args.language_model}: prefill not measured)")


if __name__ == "__main__":
    main()
