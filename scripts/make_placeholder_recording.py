#!/usr/bin/env python3
"""Writes the bundled placeholder recording, Recordings/demo/, in Sightline's
recording format (meta.json, frames.jsonl, MJPEG frames).

A synthetic tabletop: a red cube, a blue ball and a green block slide across a
textured table under slowly changing light, with sensor noise, encoded as a
webcam's MJPEG would be (4:2:2, quality 85), at 30 fps with a few ms of
timestamp jitter. truth.jsonl gives each object's box per frame.

    pip install numpy==2.4.6 pillow==13.0.0
    python3 scripts/make_placeholder_recording.py --out Recordings/demo
"""
import argparse
import io
import json
import os
import shutil

import numpy as np
from PIL import Image, ImageDraw

W, H, FPS = 640, 480, 30


def table(rng):
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    grain = 12 * np.sin(x / 9.0 + 3 * np.sin(y / 40.0)) + 6 * np.sin(x / 3.1)
    base = np.stack([150 + grain, 110 + 0.8 * grain, 75 + 0.5 * grain], axis=-1)
    wall = y < H * 0.28
    base[wall] = [205, 210, 215]
    return base


def objects_at(t):
    """Object name, shape, colour, centre and half-size at time t (seconds)."""
    return [
        ("a red cube", "box", (200, 30, 35), (80 + 150 * t, 300 + 10 * np.sin(2 * t)), 42),
        ("a blue ball", "ball", (30, 70, 200), (560 - 110 * t, 340), 36),
        ("a green block", "box", (40, 160, 60), (330, 250 + 25 * np.sin(1.5 * t)), 30),
    ]


def render(background, t, rng):
    light = 1.0 + 0.08 * np.sin(2 * np.pi * t / 3.0)
    img = Image.fromarray(np.clip(background * light, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    truth = []
    for name, shape, colour, (cx, cy), r in objects_at(t):
        box = [cx - r, cy - r, cx + r, cy + r]
        shadow = [box[0] + 8, box[1] + 10, box[2] + 8, box[3] + 10]
        shade = tuple(int(c * 0.55) for c in colour)
        if shape == "ball":
            draw.ellipse(shadow, fill=(90, 70, 50))
            draw.ellipse(box, fill=colour)
            draw.ellipse([cx - r * 0.5, cy - r * 0.6, cx - r * 0.1, cy - r * 0.2], fill=tuple(min(255, c + 60) for c in colour))
        else:
            draw.rectangle(shadow, fill=(90, 70, 50))
            draw.rectangle(box, fill=colour)
            draw.polygon([(box[0], box[1]), (box[0] + 10, box[1] - 10), (box[2] + 10, box[1] - 10), (box[2], box[1])], fill=shade)
        visible = [max(0, box[0]), max(0, box[1]), min(W, box[2]), min(H, box[3])]
        if visible[2] > visible[0] and visible[3] > visible[1]:
            truth.append({"phrase": name, "box": [round(v, 1) for v in visible]})
    pixels = np.asarray(img).astype(np.int16) + rng.integers(-4, 5, size=(H, W, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), truth


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Recordings/demo")
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    background = table(rng)
    start_mono = 3_600_000_000_000
    start_real = 1_795_000_000_000_000_000
    index, truths = [], []
    for i in range(args.frames):
        t = i / FPS
        frame, truth = render(background, t, rng)
        buffer = io.BytesIO()
        frame.save(buffer, format="JPEG", quality=85, subsampling=1)  # 4:2:2 like UVC MJPEG
        name = f"{i + 1:06d}.jpg"
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(buffer.getvalue())
        jitter = int(rng.integers(-2_000_000, 2_000_001))
        offset = round(t * 1e9) + jitter
        index.append({"seq": i + 1, "monotonic_ns": start_mono + offset, "realtime_ns": start_real + offset,
                      "file": name, "bytes": len(buffer.getvalue())})
        truths.append({"file": name, "objects": truth})
    with open(os.path.join(args.out, "frames.jsonl"), "w") as f:
        f.writelines(json.dumps(line, separators=(",", ":")) + "\n" for line in index)
    with open(os.path.join(args.out, "truth.jsonl"), "w") as f:
        f.writelines(json.dumps(line, separators=(",", ":")) + "\n" for line in truths)
    meta = {"format_version": 1, "device": "synthetic:tabletop", "card": "Sightline synthetic tabletop",
            "bus": "none", "format": "mjpeg", "width": W, "height": H, "fps": FPS, "controls": {},
            "tool": "scripts/make_placeholder_recording.py", "created_realtime_ns": start_real, "frames": args.frames}
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
