#!/usr/bin/env python3
"""Side-by-side CLIP speed: Sightline vs PyTorch (transformers.CLIPModel) on the
real ViT-B/32 architecture with random weights made here (never committed).

    /work/.venv-fixtures/bin/python scripts/bench/clip_vs_torch.py [--iterations 10] [--threads 2]

Needs the release build (`swift build -c release`) and the packages in
scripts/fixtures/requirements.txt. Both engines get the same thread count and
the same inputs (one 224x224 image, a batch of 8, 16 prompts of 12 tokens),
run one after the other in this process's run, and each figure is a median.
Ratios below 1 mean Sightline is faster. Sightline runs twice: fp32 (the
default, exact) and bf16 (AVX512_BF16 Linear layers; falls back to fp32 on
CPUs without it, as the last lines say).
"""
import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

import torch
from transformers import CLIPConfig, CLIPModel

REPO = Path(__file__).resolve().parents[2]


def median_ms(fn, iterations):
    for _ in range(3):  # warm-up: oneDNN primitive creation, first touch of weights
        fn()
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="/tmp/sightline-bench/clip-vit-base-patch32-random")
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    config = CLIPConfig()  # the defaults are ViT-B/32: 768-wide 12-layer vision tower, 512-wide text tower
    model = CLIPModel(config).eval()
    if not (out / "model.safetensors").exists():
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
    else:
        model = CLIPModel.from_pretrained(out).eval()

    g = torch.Generator().manual_seed(1)
    one = torch.randn(1, 3, 224, 224, generator=g)
    eight = torch.randn(8, 3, 224, 224, generator=g)
    vocab = config.text_config.vocab_size
    ids = torch.cat([torch.full((16, 1), vocab - 2), torch.randint(0, vocab - 2, (16, 10), generator=g),
                     torch.full((16, 1), vocab - 1)], dim=1)
    with torch.inference_mode():
        torch_single = median_ms(lambda: model.get_image_features(pixel_values=one), args.iterations)
        torch_batch = median_ms(lambda: model.get_image_features(pixel_values=eight), args.iterations)
        torch_text = median_ms(lambda: model.get_text_features(input_ids=ids), args.iterations)

    binary = REPO / ".build" / "release" / "sightline"

    def sightline(precision):
        result = subprocess.run(
            [str(binary), "bench", "clip", "--model", str(out), "--iterations", str(args.iterations),
             "--threads", str(args.threads), "--prompt-tokens", "12", "--precision", precision, "--json"],
            check=True, capture_output=True, text=True)
        return json.loads(result.stdout)

    runs = {"fp32": sightline("fp32"), "bf16": sightline("bf16")}
    print(f"ViT-B/32, random weights, {args.threads} threads, median of {args.iterations} "
          f"(torch {torch.__version__})")
    print(f"{'':22}{'PyTorch':>10}" + "".join(f"{'Sightline ' + p:>18}{'ratio':>7}" for p in runs))
    for name, key, theirs in [("single image (ms)", "single_image_ms", torch_single),
                              ("8-image batch (ms)", "batch8_ms", torch_batch),
                              ("16 prompts (ms)", "text16_ms", torch_text)]:
        row = f"{name:22}{theirs:10.2f}"
        for ours in runs.values():
            row += f"{ours[key]:18.2f}{ours[key] / theirs:7.2f}"
        print(row)
    for precision, ours in runs.items():
        print(f"Sightline {precision} ran as {ours['precision']}: single image at {ours['single_image_gflops_per_s']:.1f} GFLOP/s, "
              f"{ours['single_image_gflops_per_s'] / ours['openblas_sgemm_peak_gflops_per_s']:.2f}x OpenBLAS's sgemm peak "
              f"({ours['openblas_sgemm_peak_gflops_per_s']:.1f} GFLOP/s, 1536^3, same run)")

if __name__ == "__main__":
    main()
