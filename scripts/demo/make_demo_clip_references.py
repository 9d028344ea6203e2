#!/usr/bin/env python3
"""transformers' outputs on the demo CLIP (Models/demo-clip), for the Swift fidelity test.

Reads the committed test scenes Tests/Fixtures/demo/scenes/*.png and writes
Tests/Fixtures/demo/clip_reference.json: the tokenizer's ids for a few phrases,
CLIPImageProcessor's pixel values, image and text embeddings and logits, all from
CLIPModel.from_pretrained(Models/demo-clip, dtype=float32) (the F16 weights widened
to float32, exactly as the Swift loader does), eager attention, one torch thread.

    /work/.venv-fixtures/bin/python scripts/demo/make_demo_clip_references.py
"""
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts" / "fixtures"))
from make_clip_fixtures import arr, dump_json, versions  # noqa: E402
from transformers import CLIPModel, CLIPTokenizer  # noqa: E402
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil  # noqa: E402

TEXTS = ["a red cube", "a blue ball", "a green cylinder", "a yellow cone", "an orange ring",
         "a purple block", "a small red cube", "a photo of a blue ball.", "an empty table", "background"]


def main():
    torch.set_num_threads(1)
    model_dir = REPO / "Models" / "demo-clip"
    fixture = REPO / "Tests" / "Fixtures" / "demo"
    model = CLIPModel.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    proc = CLIPImageProcessorPil.from_pretrained(model_dir)
    tok = CLIPTokenizer.from_pretrained(model_dir)
    files = sorted(p.name for p in (fixture / "scenes").glob("*.png"))
    images = [Image.open(fixture / "scenes" / f).convert("RGB") for f in files]
    pixel_values = proc(images=images, return_tensors="pt")["pixel_values"]
    ids = [tok(t)["input_ids"] for t in TEXTS]
    with torch.no_grad():
        image_embeds = torch.nn.functional.normalize(model.get_image_features(pixel_values=pixel_values).pooler_output, dim=-1)
        text_embeds = torch.cat([
            torch.nn.functional.normalize(model.get_text_features(input_ids=torch.tensor([i])).pooler_output, dim=-1)
            for i in ids])
        logits = model.logit_scale.exp() * image_embeds @ text_embeds.T
    # Windows as the grounding module samples them: Pillow's BOX resize of a window straight to the input size.
    size = model.config.vision_config.image_size
    windows = [(images[0], files[0], box) for box in [(37, 52, 137, 152), (200, 100, 230, 130), (0, 0, 240, 240)]]
    window_refs = [{"file": f, "box": list(box),
                    "pil_box_uint8_hwc": arr(np.asarray(im.resize((size, size), Image.BOX, box=box)))}
                   for im, f, box in windows]
    dump_json({
        "generator": "scripts/demo/make_demo_clip_references.py",
        "versions": versions(),
        "model": "Models/demo-clip (F16 weights, computed in float32)",
        "images": [{"file": f, "pixel_values": arr(pixel_values[i])} for i, f in enumerate(files)],
        "texts": [{"text": t, "input_ids": i} for t, i in zip(TEXTS, ids)],
        "image_embeds": arr(image_embeds),
        "text_embeds": arr(text_embeds),
        "logits_per_image": arr(logits),
        "windows": window_refs,
    }, fixture / "clip_reference.json")


if __name__ == "__main__":
    main()
