#!/usr/bin/env python3
"""Writes the bundled demo recording, Recordings/demo/, in Sightline's recording
format (meta.json, frames.jsonl, MJPEG frames), with ground truth in truth.jsonl.

A tabletop from scripts/demo/make_scenes.py's renderer, objects sliding in and
out over 12 s at 15 fps: the red cube enters from the left and leaves on the
right; the blue ball enters later from the right and leaves at the bottom;
distractors of the same shape or colour (an orange cube, a yellow ball, a blue
cylinder) and a green cone share the table. Light drifts slowly, sensor noise
varies per frame, and frames are encoded as a webcam's MJPEG would be (4:2:2,
quality 85) with a few ms of timestamp jitter.

truth.jsonl, one line a frame, keyed by seq and file:
  {"seq": 1, "file": "000001.jpg",
   "objects": [{"phrase", "box": [x0,y0,x1,y1] (visible part, pixels), "visible": fraction of the object in frame}],
   "absent": [every vocabulary phrase not in the frame]}
An object counts as present when any of it is in the frame.

    python3 scripts/demo/make_demo_recording.py --out Recordings/demo
"""
import argparse
import io
import json
import os
import shutil
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_scenes as scenes  # noqa: E402

W, H, FPS, SECONDS = 640, 480, 15, 12


def lerp_path(points):
    """Piecewise-linear (t, x, y) keyframes -> position at t, None outside the keyed span."""
    def at(t):
        if t < points[0][0] or t > points[-1][0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(points, points[1:]):
            if t0 <= t <= t1:
                f = 0 if t1 == t0 else (t - t0) / (t1 - t0)
                f = f * f * (3 - 2 * f)  # ease in and out
                return x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        return None
    return at


# (colour, shape, sprite size, path of the sprite's top-left corner)
CAST = [
    ("green", "cone", 105, lerp_path([(0, 510, 95), (12, 525, 95)])),
    ("orange", "cube", 115, lerp_path([(0, 250, 320), (3.0, 110, 345), (5, -200, 345)])),
    ("blue", "cylinder", 100, lerp_path([(0, 40, 110), (12, 60, 120)])),
    ("red", "cube", 130, lerp_path([(0.5, -180, 190), (2.5, 150, 175), (6.0, 300, 165), (8.5, 700, 175)])),
    ("blue", "ball", 125, lerp_path([(3.5, 700, 320), (5.5, 450, 320), (9.0, 330, 300), (10.5, 350, 520)])),
    ("yellow", "ball", 100, lerp_path([(6.0, -150, 330), (8.0, 80, 340), (12, 170, 330)])),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="Recordings/demo")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    # A wood table with a wall behind it; the background is drawn until it is one.
    while True:
        background = scenes.background(rng, W, H)
        if background[0, 0, 0] != background[H // 2, W // 2, 0]:
            break
    sprites = []
    for color, shape, size, path in CAST:
        tint = np.asarray(scenes.COLORS[color], np.float32)
        rgb, alpha = scenes.render_object(shape, tint, size)
        sprites.append((scenes.phrase(color, shape), rgb, alpha, path))
    start_mono, start_real = 3_600_000_000_000, 1_795_000_000_000_000_000
    index, truths = [], []
    frames = FPS * SECONDS
    for i in range(frames):
        t = i / FPS
        canvas = background.copy()
        placed = []
        for name, rgb, alpha, path in sprites:
            at = path(t)
            if at is None:
                continue
            x0, y0 = int(round(at[0])), int(round(at[1]))
            h, w = alpha.shape
            box = [max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)]
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            visible = (box[2] - box[0]) * (box[3] - box[1]) / (w * h)
            placed.append((y0 + h, name, rgb, alpha, x0, y0, box, visible))
        for _, name, rgb, alpha, x0, y0, box, visible in sorted(placed, key=lambda p: p[0]):
            scenes.composite(canvas, rgb, alpha, x0, y0)
        light = 1.0 + 0.06 * np.sin(2 * np.pi * t / 5.0)
        frame_rng = np.random.default_rng(args.seed * 1000 + i)
        pixels = canvas * light + frame_rng.normal(0, 2.5, size=canvas.shape)
        frame = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        buffer = io.BytesIO()
        frame.save(buffer, format="JPEG", quality=85, subsampling=1)  # 4:2:2 like UVC MJPEG
        name = f"{i + 1:06d}.jpg"
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(buffer.getvalue())
        jitter = int(rng.integers(-2_000_000, 2_000_001))
        offset = round(t * 1e9) + jitter
        index.append({"seq": i + 1, "monotonic_ns": start_mono + offset, "realtime_ns": start_real + offset,
                      "file": name, "bytes": len(buffer.getvalue())})
        objects = [{"phrase": n, "box": b, "visible": round(v, 3)} for _, n, _, _, _, _, b, v in placed]
        present = {o["phrase"] for o in objects}
        truths.append({"seq": i + 1, "file": name, "objects": objects,
                       "absent": [p for p in scenes.ALL_PHRASES if p not in present]})
    with open(os.path.join(args.out, "frames.jsonl"), "w") as f:
        f.writelines(json.dumps(line, separators=(",", ":")) + "\n" for line in index)
    with open(os.path.join(args.out, "truth.jsonl"), "w") as f:
        f.writelines(json.dumps(line, separators=(",", ":")) + "\n" for line in truths)
    meta = {"format_version": 1, "device": "synthetic:tabletop", "card": "Sightline synthetic tabletop",
            "bus": "none", "format": "mjpeg", "width": W, "height": H, "fps": FPS, "controls": {},
            "tool": "scripts/demo/make_demo_recording.py", "created_realtime_ns": start_real, "frames": frames}
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
