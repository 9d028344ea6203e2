#!/usr/bin/env python3
"""Trains the demo CLIP (Models/demo-clip) on procedurally generated tabletop scenes.

No pretrained CLIP can be fetched here, so the demo gets its own: a small
Hugging Face `CLIPModel` trained contrastively on crops of scenes from
scripts/demo/make_scenes.py, with OpenAI's real BPE vocabulary (49408 tokens).

What it learns from (all crops are squashed to the model's 48x48 input, the way
the Swift grounding module feeds windows):
  * object crops: one object framed loosely (it fills 30-100% of the crop),
    captioned "a red cube", "a small red block", "a photo of a red cube", ...
  * background crops: table with at most a sliver of an object, captioned
    "an empty table", "background", ...
  * partial crops: a window holding under a third of an object, also captioned
    as background, so only a window that frames an object scores as that object.
A batch holds many crops of the same class, so the loss is CLIP's symmetric
cross-entropy with soft targets (every same-class pair is a positive).

Size budget (<= 10 MB with the tokenizer files): the 49408 x 64 token embedding
is 6.3 MB in F16, so the text tower is 64 wide, the weights are stored F16
(the Swift loader reads F16 and computes in fp32), vision is a 4-layer ViT,
128 wide, 8-pixel patches on 48x48 images (37 tokens: cheap enough to score
a frame's ~100-200 windows in one batch).

Run from the repo root, niced, with the fixture venv (torch, transformers; see
scripts/demo/requirements.txt):
  nice -n 10 /work/.venv-fixtures/bin/python scripts/demo/train_demo_clip.py --minutes 32
"""
import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "scripts" / "fixtures"))
import make_scenes as scenes  # noqa: E402
from make_clip_fixtures import build_vocab, load_merges, write_tokenizer_files  # noqa: E402

from transformers import CLIPConfig, CLIPModel, CLIPTokenizer  # noqa: E402
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil  # noqa: E402

BPE = REPO.parent / "shared" / "data" / "bpe_simple_vocab_16e6.txt.gz"
IMAGE = 48
CONTEXT = 16
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)

CLASSES = [(c, s) for c in scenes.COLORS for s in scenes.SHAPES]  # 30 object classes
BACKGROUND = len(CLASSES)  # class 30


def model_config():
    return CLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=64, intermediate_size=128, num_hidden_layers=4,
                         num_attention_heads=2, max_position_embeddings=CONTEXT, hidden_act="quick_gelu",
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=49407, projection_dim=64),
        vision_config=dict(hidden_size=128, intermediate_size=256, num_hidden_layers=4, num_attention_heads=4,
                           image_size=IMAGE, patch_size=8, hidden_act="quick_gelu", projection_dim=64),
        projection_dim=64, logit_scale_init_value=math.log(1 / 0.07))


# ---------------------------------------------------------------- captions

def object_captions(color, shape):
    out = []
    for noun in scenes.SHAPES[shape]:
        for size in (None, "small", "large"):
            p = scenes.phrase(color, noun, size)
            out += [p, f"a photo of {p}.", f"{p} on a table"]
    return out


BACKGROUND_CAPTIONS = scenes.BACKGROUND_PHRASES + [f"a photo of {p}." for p in scenes.BACKGROUND_PHRASES]


# ---------------------------------------------------------------- crops

def iou_parts(crop, box):
    """(fraction of box inside crop, fraction of crop covered by box)."""
    iw = max(0, min(crop[2], box[2]) - max(crop[0], box[0]))
    ih = max(0, min(crop[3], box[3]) - max(crop[1], box[1]))
    inter = iw * ih
    return inter / max(1, (box[2] - box[0]) * (box[3] - box[1])), inter / max(1, (crop[2] - crop[0]) * (crop[3] - crop[1]))


def random_window(rng, W, H, side):
    aspect = math.exp(rng.uniform(-0.3, 0.3))
    w, h = min(W, side * aspect), min(H, side / aspect)
    x0, y0 = rng.uniform(0, W - w), rng.uniform(0, H - h)
    return [x0, y0, x0 + w, y0 + h]


def object_window(rng, W, H, box):
    bw, bh = box[2] - box[0], box[3] - box[1]
    fill = rng.uniform(0.3, 1.0)  # object area / window area
    side = math.sqrt(bw * bh / fill)
    side = max(side, max(bw, bh) * rng.uniform(0.9, 1.15))
    aspect = math.exp(rng.uniform(-0.25, 0.25))
    w, h = side * aspect, side / aspect
    cx = (box[0] + box[2]) / 2 + rng.uniform(-0.2, 0.2) * w
    cy = (box[1] + box[3]) / 2 + rng.uniform(-0.2, 0.2) * h
    return inside_image([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], W, H)


def inside_image(crop, W, H):
    """Shifts (and if needed shrinks) a window into the image, as grounding's windows always are."""
    w, h = min(W, crop[2] - crop[0]), min(H, crop[3] - crop[1])
    x0 = min(max(0, crop[0]), W - w)
    y0 = min(max(0, crop[1]), H - h)
    return [x0, y0, x0 + w, y0 + h]


def sample(rng, pool):
    """One (crop window, scene index, class) of a random kind."""
    while True:
        index = int(rng.integers(len(pool)))
        image, objects = pool[index]
        W, H = image.size
        kind = rng.random()
        if kind < 0.62 and objects:
            target = objects[int(rng.integers(len(objects)))]
            crop = object_window(rng, W, H, target["box"])
            inside, _ = iou_parts(crop, target["box"])
            if inside < 0.85:
                continue
            # Another object must not dominate the window.
            if any(o is not target and iou_parts(crop, o["box"])[1] > 0.2 for o in objects):
                continue
            return crop, index, CLASSES.index((target["color"], target["shape"]))
        side = rng.uniform(0.15, 0.6) * min(W, H)
        crop = random_window(rng, W, H, side)
        fractions = [iou_parts(crop, o["box"]) for o in objects]
        if kind < 0.85:  # plain background
            if all(inside < 0.1 and covered < 0.08 for inside, covered in fractions):
                return crop, index, BACKGROUND
        else:  # a window that cuts an object: still not that object
            if any(0.05 < inside < 0.33 for inside, _ in fractions) and all(inside < 0.33 for inside, _ in fractions):
                return crop, index, BACKGROUND


def crop_pixels(image, crop, flip):
    patch = image.resize((IMAGE, IMAGE), Image.BOX, box=tuple(crop))
    if flip:
        patch = patch.transpose(Image.FLIP_LEFT_RIGHT)
    return (np.asarray(patch, np.float32) / 255 - MEAN) / STD


def make_batch(rng, pool, size, caption_ids):
    pixels, classes, texts = [], [], []
    for _ in range(size):
        crop, index, cls = sample(rng, pool)
        image = pool[index][0]
        arr = crop_pixels(image, crop, rng.random() < 0.5)
        arr = arr * rng.uniform(0.9, 1.1) + rng.normal(0, 0.05)  # brightness/contrast, never hue
        pixels.append(arr.transpose(2, 0, 1))
        classes.append(cls)
        options = caption_ids[cls]
        texts.append(options[int(rng.integers(len(options)))])
    return torch.from_numpy(np.stack(pixels)).float(), torch.tensor(classes), torch.tensor(np.stack(texts))


def make_pool(seed, count, log):
    rng = np.random.default_rng(seed)
    pool = []
    start = time.time()
    for i in range(count):
        w, h = (320, 240) if rng.random() < 0.7 else (640, 480)
        image, objects, _ = scenes.make_scene(rng, w, h)
        pool.append((image, objects))
        if (i + 1) % 500 == 0:
            log(f"  scenes {i + 1}/{count} ({time.time() - start:.0f} s)")
    return pool


# ---------------------------------------------------------------- training

def encode_captions(tok):
    def ids(text):
        return tok(text, truncation=True, max_length=CONTEXT, padding="max_length")["input_ids"]
    table = [[ids(t) for t in object_captions(c, s)] for c, s in CLASSES]
    table.append([ids(t) for t in BACKGROUND_CAPTIONS])
    return [np.array(rows, np.int64) for rows in table]


def canonical_ids(tok):
    texts = [scenes.phrase(c, s) for c, s in CLASSES] + ["an empty table"]
    return torch.tensor([tok(t, truncation=True, max_length=CONTEXT, padding="max_length")["input_ids"] for t in texts])


@torch.no_grad()
def evaluate(model, val, canon):
    pixels, classes, _ = val
    model.eval()
    img = F.normalize(model.get_image_features(pixel_values=pixels).pooler_output, dim=-1)
    txt = F.normalize(model.get_text_features(input_ids=canon).pooler_output, dim=-1)
    pred = (img @ txt.T).argmax(-1)
    model.train()
    obj = classes != BACKGROUND
    return (pred == classes).float().mean().item(), (pred[obj] == classes[obj]).float().mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(REPO / "Models" / "demo-clip"))
    parser.add_argument("--minutes", type=float, default=32, help="training wall-time budget (scene generation excluded)")
    parser.add_argument("--scenes", type=int, default=2400)
    parser.add_argument("--batch", type=int, default=192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7, help="training scenes use seed 1000+seed; validation seed 900")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    tmp_tok = Path("/tmp/demo-clip-tokenizer")
    tmp_tok.mkdir(exist_ok=True)
    merges = load_merges(BPE, 49152 - 256 - 2)
    vocab = build_vocab(merges)
    assert len(vocab) == 49408
    write_tokenizer_files(tmp_tok, vocab, merges)
    tok = CLIPTokenizer.from_pretrained(tmp_tok)
    caption_ids = encode_captions(tok)
    canon = canonical_ids(tok)

    log(f"generating {args.scenes} training scenes (seed {1000 + args.seed}) and 300 validation scenes (seed 900)")
    pool = make_pool(1000 + args.seed, args.scenes, log)
    val_pool = make_pool(900, 300, log)
    val = make_batch(np.random.default_rng(1), val_pool, 600, caption_ids)

    model = CLIPModel(model_config())
    model.train()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "embedding" in name else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    rng = np.random.default_rng(args.seed)
    budget = args.minutes * 60
    start = time.time()
    # The schedule runs on wall time, not steps: the machine is shared, so step time varies.
    step, warmup = 0, 40
    while True:
        frac = (time.time() - start) / budget
        if frac >= 1:
            break
        lr = 1e-3 * min(1, (step + 1) / warmup) * (0.5 * (1 + math.cos(math.pi * min(1, frac))) * 0.95 + 0.05)
        for group in opt.param_groups:
            group["lr"] = lr
        pixels, classes, ids = make_batch(rng, pool, args.batch, caption_ids)
        out_ = model(input_ids=ids, pixel_values=pixels)
        logits = out_.logits_per_image
        same = (classes[:, None] == classes[None, :]).float()
        targets = same / same.sum(1, keepdim=True)
        loss = 0.5 * (-(targets * F.log_softmax(logits, 1)).sum(1).mean() - (targets.T * F.log_softmax(logits.T, 1)).sum(1).mean())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        step += 1
        if step % 50 == 0 or step == 1:
            acc, obj_acc = evaluate(model, val, canon)
            log(f"step {step} {time.time() - start:.0f}s loss {loss.item():.3f} lr {lr:.2e} scale {model.logit_scale.exp().item():.1f} val acc {acc:.3f} objects {obj_acc:.3f}")
    train_seconds = time.time() - start
    acc, obj_acc = evaluate(model, val, canon)
    log(f"done: {step} steps in {train_seconds / 60:.1f} min, val crop accuracy {acc:.3f} (objects {obj_acc:.3f})")

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model.eval().to(torch.float16).save_pretrained(out)
    CLIPImageProcessorPil(size={"shortest_edge": IMAGE}, crop_size={"height": IMAGE, "width": IMAGE}).save_pretrained(out)
    write_tokenizer_files(out, vocab, merges)
    # The scene vocabulary grounding scores a target against (every other phrase is a distractor).
    (out / "vocabulary.txt").write_text("".join(scenes.phrase(c, s) + "\n" for c, s in CLASSES))
    (out / "training.json").write_text(json.dumps({
        "script": "scripts/demo/train_demo_clip.py", "args": vars(args), "steps": step,
        "train_minutes": round(train_seconds / 60, 1), "val_crop_accuracy": round(acc, 4),
        "val_object_crop_accuracy": round(obj_acc, 4), "torch": torch.__version__,
        "classes": [scenes.phrase(c, s) for c, s in CLASSES] + ["background"], "log": log_lines}, indent=1) + "\n")
    log(f"saved {out}")


if __name__ == "__main__":
    main()
