#!/usr/bin/env python3
"""Procedural tabletop scenes for the demo CLIP: the generator is a command.

    python3 scripts/demo/make_scenes.py --seed S --count N --out DIR [--width 320 --height 240]

writes DIR/0000.png ... and DIR/truth.jsonl, one JSON line an image:

    {"file": "0000.png",
     "objects": [{"phrase": "a red cube", "box": [x0, y0, x1, y1], "color": "red", "shape": "cube", "size": "small"}],
     "absent": ["a red ball", ...]}

Boxes are in pixels of the image (x1, y1 exclusive), each object's full extent
(occlusion is limited: another object covers at most a fifth of it). A scene
never holds two objects of the same colour and shape, so a phrase names one
object. "absent" lists phrases of objects not in the image, chosen to be hard:
each shares a colour or a shape with an object that is there.

Only numpy and Pillow (scripts/demo/requirements.txt), deterministic per seed:
the same seed, count and size give the same images, byte for byte.
The renderer is also imported by the training script and the recording maker.
"""
import argparse
import json
import os

import numpy as np
from PIL import Image, ImageFilter

COLORS = {
    "red": (200, 35, 35),
    "green": (40, 160, 60),
    "blue": (35, 75, 205),
    "yellow": (230, 205, 40),
    "orange": (240, 130, 30),
    "purple": (130, 50, 170),
}
# The canonical noun is first; the others are synonyms the captions also use.
SHAPES = {
    "cube": ["cube", "block", "box"],
    "ball": ["ball", "sphere"],
    "cylinder": ["cylinder", "can"],
    "cone": ["cone"],
    "ring": ["ring", "donut"],
}
BACKGROUND_PHRASES = ["an empty table", "a table", "background", "a wooden table", "the floor"]


def phrase(color, shape, size=None):
    words = f"{size} {color} {shape}" if size else f"{color} {shape}"
    return ("an " if words[0] in "aeiou" else "a ") + words


ALL_PHRASES = [phrase(c, s) for c in COLORS for s in SHAPES]


# ---------------------------------------------------------------- backgrounds

def _smooth_noise(rng, h, w, cell):
    """Value noise: a coarse random grid upsampled bilinearly (Pillow), in 0...1."""
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    grid = (rng.random((gh, gw)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(grid).resize((w, h), Image.BILINEAR), dtype=np.float32) / 255.0


def background(rng, w, h):
    """A table-like surface: wood grain, cloth check, mottled noise, a gradient or plain, maybe a wall."""
    kind = rng.integers(0, 5)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(60, 200, size=3) * np.array([1.0, 0.9, 0.8])
    base = np.clip(base + rng.normal(0, 25, size=3), 30, 225)
    if kind == 0:  # wood grain
        period = rng.uniform(5, 14)
        warp = rng.uniform(10, 50)
        angle = rng.uniform(-0.3, 0.3)
        u = x * np.cos(angle) + y * np.sin(angle)
        v = -x * np.sin(angle) + y * np.cos(angle)
        grain = np.sin(v / period + 3 * np.sin(u / warp)) + 0.4 * np.sin(v / (period * 0.37))
        wood = np.array([150, 105, 65]) * rng.uniform(0.6, 1.3)
        img = wood[None, None, :] * (1 + 0.12 * grain[..., None])
    elif kind == 1:  # checkered tablecloth
        size = rng.integers(12, 40)
        check = ((x // size + y // size) % 2)[..., None]
        other = np.clip(base * rng.uniform(0.55, 0.85), 0, 255)
        img = base[None, None, :] * (1 - check) + other[None, None, :] * check
    elif kind == 2:  # mottled noise
        n = 0.6 * _smooth_noise(rng, h, w, int(rng.integers(8, 40))) + 0.4 * _smooth_noise(rng, h, w, 4)
        img = base[None, None, :] * (0.75 + 0.5 * n[..., None])
    elif kind == 3:  # two-colour gradient
        other = np.clip(base + rng.normal(0, 50, size=3), 20, 235)
        angle = rng.uniform(0, 2 * np.pi)
        t = (x * np.cos(angle) + y * np.sin(angle))
        t = (t - t.min()) / max(1e-6, t.max() - t.min())
        img = base[None, None, :] * (1 - t[..., None]) + other[None, None, :] * t[..., None]
    else:  # plain with fine texture
        img = base[None, None, :] * (0.95 + 0.1 * _smooth_noise(rng, h, w, 3)[..., None])
    if rng.random() < 0.35:  # a wall behind the table
        horizon = int(h * rng.uniform(0.12, 0.3))
        wall = np.clip(rng.uniform(150, 230) + rng.normal(0, 12, size=3), 0, 255)
        img[:horizon] = wall
    return img.astype(np.float32)


# ---------------------------------------------------------------- objects

def _shade(color, light):
    return np.clip(np.asarray(color, np.float32)[None, None, :] * light[..., None], 0, 255)


def render_object(shape, color, size):
    """An object's sprite: RGB (float) and alpha (0...1), size x size pixels (cones, cylinders taller)."""
    rgbc = np.asarray(color, np.float32)
    s = int(size)
    if shape == "cube":
        h = w = s
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        depth = 0.28 * s
        alpha = np.zeros((h, w), np.float32)
        light = np.ones((h, w), np.float32)
        front = (x < w - depth) & (y >= depth)
        top = (y < depth) & (x >= (depth - y)) & (x < w - y)
        side = (x >= w - depth) & (y >= (w - x)) & (y < h - (x - (w - depth)))
        alpha[front | top | side] = 1
        light[front] = 0.95 - 0.1 * (y[front] / h)
        light[top] = 1.3
        light[side] = 0.6
        rgb = _shade(rgbc, light)
    elif shape == "ball":
        h = w = s
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        r = s / 2
        dx, dy = (x + 0.5 - r) / r, (y + 0.5 - r) / r
        d2 = dx * dx + dy * dy
        alpha = np.clip((1 - np.sqrt(d2)) * r, 0, 1)
        nz = np.sqrt(np.clip(1 - d2, 0, 1))
        lambert = np.clip(-0.45 * dx - 0.55 * dy + 0.7 * nz, 0, 1)
        light = 0.35 + 0.85 * lambert
        rgb = _shade(rgbc, light)
        spec = np.clip((-0.45 * dx - 0.55 * dy + 0.7 * nz) - 0.85, 0, 1) * 6
        rgb = np.clip(rgb + 255 * spec[..., None] * 0.6, 0, 255)
    elif shape == "cylinder":
        w, h = int(s * 0.75), int(s * 1.1)
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        ry = max(2.0, w * 0.18)
        cx = w / 2
        u = (x + 0.5 - cx) / cx
        inside_x = np.abs(u) <= 1
        ell = lambda cy: ((x + 0.5 - cx) / cx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1
        body = inside_x & (y >= ry) & (y <= h - ry)
        top = ell(ry)
        bottom = ell(h - ry)
        alpha = (body | top | bottom).astype(np.float32)
        light = 0.45 + 0.75 * np.clip(np.cos((u + 0.35) * 1.4), 0, 1)
        light = np.where(top, 1.25, light)
        rgb = _shade(rgbc, light)
    elif shape == "cone":
        w, h = s, int(s * 1.15)
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        ry = max(2.0, w * 0.16)
        cx = w / 2
        half = (y / (h - ry)) * cx
        body = (np.abs(x + 0.5 - cx) <= half) & (y <= h - ry)
        base_e = ((x + 0.5 - cx) / cx) ** 2 + ((y + 0.5 - (h - ry)) / ry) ** 2 <= 1
        alpha = (body | base_e).astype(np.float32)
        u = np.where(half > 0, (x + 0.5 - cx) / np.maximum(half, 1e-3), 0)
        light = 0.45 + 0.75 * np.clip(np.cos((u + 0.35) * 1.4), 0, 1)
        rgb = _shade(rgbc, light)
    elif shape == "ring":
        w, h = s, int(s * 0.62)
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = w / 2, h / 2
        e = ((x + 0.5 - cx) / cx) ** 2 + ((y + 0.5 - cy) / cy) ** 2
        inner = ((x + 0.5 - cx) / (cx * 0.5)) ** 2 + ((y + 0.5 - cy) / (cy * 0.42)) ** 2
        alpha = ((e <= 1) & (inner > 1)).astype(np.float32)
        light = 0.55 + 0.6 * np.clip(1 - (y / h), 0, 1) * np.clip(1.2 - np.sqrt(e), 0, 1)
        light += 0.25 * np.clip(np.cos(np.sqrt(e) * 6 - 4.2), 0, 1)
        rgb = _shade(rgbc, light)
    else:
        raise ValueError(shape)
    return rgb.astype(np.float32), alpha.astype(np.float32)


def composite(canvas, rgb, alpha, x0, y0, shadow=True):
    """Pastes a sprite at (x0, y0) with a soft shadow below-right; clips at the edges."""
    H, W, _ = canvas.shape
    h, w = alpha.shape
    if shadow:
        pad = max(4, h // 5)
        sh = np.zeros((h + 2 * pad, w + 2 * pad), np.float32)
        sh[pad:pad + h, pad:pad + w] = alpha
        sh_img = Image.fromarray((sh * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(max(1.5, h / 14)))
        sh = np.asarray(sh_img, np.float32) / 255 * 0.45
        ox, oy = x0 - pad + max(2, w // 10), y0 - pad + max(2, h // 8)
        _blend(canvas, np.zeros(sh.shape + (3,), np.float32), sh, ox, oy)
    _blend(canvas, rgb, alpha, x0, y0)


def _blend(canvas, rgb, alpha, x0, y0):
    H, W, _ = canvas.shape
    h, w = alpha.shape
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
    src = rgb[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    region = canvas[cy0:cy1, cx0:cx1]
    canvas[cy0:cy1, cx0:cx1] = region * (1 - a) + src * a


def finish(canvas, rng, noise=4.0):
    """Lighting falloff, a colour cast and sensor noise; returns an 8-bit image."""
    H, W, _ = canvas.shape
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    lx, ly = rng.uniform(0, W), rng.uniform(-H * 0.5, H * 0.5)
    falloff = 1.1 - 0.35 * np.sqrt(((x - lx) / W) ** 2 + ((y - ly) / H) ** 2)
    gain = rng.uniform(0.8, 1.15) * falloff
    cast = 1 + rng.normal(0, 0.04, size=3)
    out = canvas * gain[..., None] * cast[None, None, :]
    out = out + rng.normal(0, noise, size=out.shape)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


# ---------------------------------------------------------------- scenes

def sprite_size(rng, min_side, size_word):
    small = rng.uniform(0.14, 0.21) * min_side
    large = rng.uniform(0.25, 0.36) * min_side
    return small if size_word == "small" else large


def box_overlap_fraction(a, b):
    """How much of box a lies inside box b."""
    iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = max(1e-6, (a[2] - a[0]) * (a[3] - a[1]))
    return iw * ih / area


def make_scene(rng, width=320, height=240, max_objects=4):
    """One scene: (PIL image, objects [{phrase, box, color, shape, size}], absent phrases)."""
    canvas = background(rng, width, height)
    count = int(rng.integers(1, max_objects + 1))
    kinds = [(c, s) for c in COLORS for s in SHAPES]
    order = rng.permutation(len(kinds))
    placed = []
    for index in order:
        if len(placed) == count:
            break
        color, shape = kinds[index]
        size_word = "small" if rng.random() < 0.5 else "large"
        side = sprite_size(rng, min(width, height), size_word)
        rgb, alpha = render_object(shape, COLORS[color], side)
        h, w = alpha.shape
        for _ in range(20):
            x0 = int(rng.integers(-w // 6, width - w + w // 6 + 1))
            y0 = int(rng.integers(int(height * 0.15), height - h + h // 6 + 1))
            box = [max(0, x0), max(0, y0), min(width, x0 + w), min(height, y0 + h)]
            if (box[2] - box[0]) * (box[3] - box[1]) < 0.7 * w * h:
                continue
            if all(box_overlap_fraction(box, p["box"]) < 0.2 and box_overlap_fraction(p["box"], box) < 0.2 for p in placed):
                # Colour jitter: the same named colour is never exactly the same.
                jitter = np.clip(np.asarray(COLORS[color], np.float32) * rng.uniform(0.85, 1.12)
                                 + rng.normal(0, 10, size=3), 0, 255)
                rgb, alpha = render_object(shape, jitter, side)
                placed.append({"phrase": phrase(color, shape), "box": box, "color": color, "shape": shape,
                               "size": size_word, "_sprite": (rgb, alpha, x0, y0)})
                break
    # Farther (higher up) objects first so nearer ones cover them.
    for obj in sorted(placed, key=lambda o: o["box"][3]):
        rgb, alpha, x0, y0 = obj["_sprite"]
        composite(canvas, rgb, alpha, x0, y0)
    image = finish(canvas, rng)
    for obj in placed:
        del obj["_sprite"]
    present = {o["phrase"] for o in placed}
    hard = [phrase(c, s) for c, s in kinds if phrase(c, s) not in present
            and any(o["color"] == c or o["shape"] == s for o in placed)]
    absent = [hard[i] for i in rng.permutation(len(hard))[:4]]
    return image, placed, absent


def main():
    parser = argparse.ArgumentParser(description="Writes procedural tabletop scenes and their ground truth.")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--max-objects", type=int, default=4)
    args = parser.parse_args()
    if args.count <= 0 or args.width < 64 or args.height < 64:
        parser.error("--count must be positive and the image at least 64x64")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    with open(os.path.join(args.out, "truth.jsonl"), "w") as truth:
        for i in range(args.count):
            image, objects, absent = make_scene(rng, args.width, args.height, args.max_objects)
            name = f"{i:04d}.png"
            image.save(os.path.join(args.out, name), optimize=False)
            truth.write(json.dumps({"file": name, "objects": objects, "absent": absent}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
