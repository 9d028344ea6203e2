#!/usr/bin/env python3
"""Zero-shot accuracy of the demo CLIP on object crops of freshly generated scenes.

Each object of each scene (scripts/demo/make_scenes.py, a seed never used in
training) is cropped with a margin of a fifth of its size and scored by the built
`sightline clip` against all 30 object phrases plus "an empty table"; a crop is
correct when its own phrase gets the highest probability.

    python3 scripts/demo/eval_zero_shot.py --seed 4242 --count 150
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import make_scenes as scenes  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "release", "sightline"))
    parser.add_argument("--model", default=os.path.join(REPO, "Models", "demo-clip"))
    args = parser.parse_args()
    labels = scenes.ALL_PHRASES + ["an empty table"]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(HERE, "make_scenes.py"), "--seed", str(args.seed),
                        "--count", str(args.count), "--out", d], check=True)
        crops, truth = [], []
        for line in open(os.path.join(d, "truth.jsonl")):
            scene = json.loads(line)
            image = Image.open(os.path.join(d, scene["file"]))
            for o in scene["objects"]:
                x0, y0, x1, y1 = o["box"]
                mx, my = (x1 - x0) / 5, (y1 - y0) / 5
                box = (max(0, x0 - mx), max(0, y0 - my), min(image.width, x1 + mx), min(image.height, y1 + my))
                path = os.path.join(d, f"crop{len(crops)}.png")
                image.crop(tuple(int(v) for v in box)).save(path)
                crops.append(path)
                truth.append(o["phrase"])
        command = [args.binary, "clip", "--model", args.model, "--json"]
        for c in crops:
            command += ["--image", c]
        for t in labels:
            command += ["--text", t]
        out = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    predicted = [labels[max(range(len(labels)), key=lambda k: p[k])] for p in out["probs"]]
    correct = sum(p == t for p, t in zip(predicted, truth))
    print(json.dumps({"seed": args.seed, "scenes": args.count, "crops": len(crops),
                      "zero_shot_accuracy": round(correct / len(crops), 4), "labels": len(labels)}))


if __name__ == "__main__":
    main()
