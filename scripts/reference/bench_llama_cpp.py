#!/usr/bin/env python3
"""Benchmarks llama.cpp (llama-cpp-python) on the real Qwen GGUF: prefill tokens/s on a
512-token prompt, decode tokens/s over 128 greedy tokens, peak RSS. Prints JSON.

    /work/.venv-llama/bin/python scripts/reference/bench_llama_cpp.py \
        [--model ~/.cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf] \
        [--threads 2] [--prompt-tokens 512] [--gen-tokens 128] [--repeats 3] [--out result.json]

Side-by-side hook for the Swift engine (which does not exist yet):

        --sightline-bin .build/release/sightline-lm-bench \
        --sightline-args "--model {model} --prompt-ids {prompt_ids} --n-gen {gen_tokens} --threads {threads}"

The same 512-token prompt is written as JSON ids to a temporary file ({prompt_ids}) and as
text ({prompt_text}); the placeholders {model} {prompt_ids} {prompt_text} {prompt_tokens}
{gen_tokens} {threads} are substituted. The binary is run --repeats times after llama.cpp; its
wall time and peak RSS (getrusage of the child) are always recorded. If its stdout's last
non-empty line is a JSON object, it is stored under "sightline.reported"; the expected keys are
{"prefill_tokens_per_s", "decode_tokens_per_s", "generated_ids"}. When "generated_ids" is
present it is compared with llama.cpp's greedy ids.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llama_cpp_info import build_info  # noqa: E402

import llama_cpp  # noqa: E402
from llama_cpp import Llama  # noqa: E402

DEFAULT_MODEL = Path.home() / ".cache/sightline/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"

PROMPT_SEED_TEXT = (
    "<|im_start|>system\nYou turn robot commands into JSON tasks.<|im_end|>\n<|im_start|>user\n"
    "The robot stands in a kitchen. On the table there is a red cup, a blue plate, two forks and a "
    "green bottle. Pick up the red cup, move it next to the sink, then return to the charging dock. "
    "def plan(robot):\n    for step in robot.steps:\n        robot.execute(step)\n"
)


def vm_hwm_kib() -> int | None:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def build_prompt(llm: Llama, n: int) -> list[int]:
    ids = llm.tokenize(PROMPT_SEED_TEXT.encode(), add_bos=False, special=True)
    out: list[int] = []
    while len(out) < n:
        out.extend(ids)
    return out[:n]


def last_logits(llm: Llama) -> np.ndarray:
    ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),))


def run_llama(args, prompt: list[int], llm: Llama) -> dict:
    prefill_s, decode_s, perf = [], [], []
    gen_ids: list[int] = []
    for rep in range(args.repeats + 1):  # first round is a warm-up, not counted
        llm.reset()
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        t0 = time.perf_counter()
        llm.eval(prompt)  # n_batch >= prompt length: one llama_decode
        t1 = time.perf_counter()
        ids = []
        for _ in range(args.gen_tokens):
            tok = int(np.argmax(last_logits(llm)))
            ids.append(tok)
            llm.eval([tok])
        t2 = time.perf_counter()
        p = llama_cpp.llama_perf_context(llm._ctx.ctx)
        if rep == 0:
            continue
        prefill_s.append(t1 - t0)
        decode_s.append(t2 - t1)
        perf.append({"t_p_eval_ms": p.t_p_eval_ms, "n_p_eval": p.n_p_eval, "t_eval_ms": p.t_eval_ms, "n_eval": p.n_eval})
        gen_ids = ids
    med_p, med_d = statistics.median(prefill_s), statistics.median(decode_s)
    c_p = statistics.median(x["n_p_eval"] / (x["t_p_eval_ms"] / 1e3) for x in perf)
    c_d = statistics.median(x["n_eval"] / (x["t_eval_ms"] / 1e3) for x in perf)
    return {
        "prefill_tokens": len(prompt),
        "prefill_tokens_per_s": round(len(prompt) / med_p, 2),
        "prefill_tokens_per_s_best": round(len(prompt) / min(prefill_s), 2),
        "decode_tokens": args.gen_tokens,
        "decode_tokens_per_s": round(args.gen_tokens / med_d, 2),
        "decode_tokens_per_s_best": round(args.gen_tokens / min(decode_s), 2),
        "llama_perf_prefill_tokens_per_s": round(c_p, 2),
        "llama_perf_decode_tokens_per_s": round(c_d, 2),
        "prefill_s": [round(x, 4) for x in prefill_s],
        "decode_s": [round(x, 4) for x in decode_s],
        "generated_ids": gen_ids,
        "note": ("wall-clock around Llama.eval from Python (decode includes numpy argmax + ctypes per "
                 "token); llama_perf_* are llama.cpp's own timers (llama_perf_context)"),
    }


def run_sightline(args, prompt: list[int], prompt_text: str, llama_ids: list[int]) -> dict:
    with tempfile.TemporaryDirectory(prefix="sightline-bench-") as tmp:
        ids_path = Path(tmp) / "prompt_ids.json"
        text_path = Path(tmp) / "prompt.txt"
        ids_path.write_text(json.dumps(prompt))
        text_path.write_text(prompt_text)
        subst = {"model": str(Path(args.model).expanduser()), "prompt_ids": str(ids_path),
                 "prompt_text": str(text_path), "prompt_tokens": len(prompt),
                 "gen_tokens": args.gen_tokens, "threads": args.threads}
        cmd = [args.sightline_bin] + [a.format(**subst) for a in shlex.split(args.sightline_args or "")]
        runs = []
        for _ in range(args.repeats):
            with open(Path(tmp) / "stdout", "w+") as fo, open(Path(tmp) / "stderr", "w+") as fe:
                t0 = time.perf_counter()
                proc = subprocess.Popen(cmd, stdout=fo, stderr=fe)
                # Poll the child's VmHWM (per address space, starts fresh at exec). The child's
                # getrusage ru_maxrss is NOT usable: Linux carries the parent's (~600 MiB, model
                # loaded) high-water mark across fork+exec.
                hwm_kib = 0
                while True:
                    pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                    if pid:
                        break
                    try:
                        for line in open(f"/proc/{proc.pid}/status"):
                            if line.startswith("VmHWM:"):
                                hwm_kib = max(hwm_kib, int(line.split()[1]))
                    except OSError:
                        pass
                    time.sleep(0.02)
                wall = time.perf_counter() - t0
                fo.seek(0)
                fe.seek(0)
                out, err = fo.read(), fe.read()
            rc = os.waitstatus_to_exitcode(status)
            run = {"returncode": rc, "wall_s": round(wall, 4), "peak_rss_mib_vmhwm_polled": round(hwm_kib / 1024, 1),
                   "user_s": round(ru.ru_utime, 3), "sys_s": round(ru.ru_stime, 3)}
            reported = None
            for line in reversed([ln for ln in out.splitlines() if ln.strip()]):
                try:
                    reported = json.loads(line)
                except json.JSONDecodeError:
                    pass
                break
            if isinstance(reported, dict):
                run["reported"] = reported
                if "generated_ids" in reported:
                    run["generated_ids_match_llama_cpp"] = reported["generated_ids"] == llama_ids[: len(reported["generated_ids"])]
            else:
                run["stdout_tail"] = out[-2000:]
            if rc:
                run["stderr_tail"] = err[-2000:]
            runs.append(run)
        return {"command": cmd, "runs": runs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n-ctx", type=int, default=1024)
    ap.add_argument("--sightline-bin", default=None, help="path of a Sightline LM benchmark binary (optional)")
    ap.add_argument("--sightline-args", default="", help="its command line, with {placeholders}; see --help header")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    args = ap.parse_args()

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    llm = Llama(model_path=str(Path(args.model).expanduser()), n_ctx=args.n_ctx,
                n_batch=max(512, args.prompt_tokens), n_ubatch=max(512, args.prompt_tokens),
                n_threads=args.threads, n_threads_batch=args.threads, n_gpu_layers=0,
                logits_all=False, flash_attn=False, seed=0, verbose=False)
    load_s = time.perf_counter() - t0
    prompt = build_prompt(llm, args.prompt_tokens)
    prompt_text = llm.detokenize(prompt, special=True).decode("utf-8", "replace")
    result = {
        "engine": "llama.cpp via llama-cpp-python",
        "llama_cpp": {k: v for k, v in build_info().items() if k != "shared_libraries"},
        "model": str(Path(args.model).expanduser()),
        "threads": args.threads,
        "n_ctx": args.n_ctx,
        "repeats": args.repeats,
        "load_s": round(load_s, 3),
        "cpu_count": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
    }
    result["llama_cpp_run"] = run_llama(args, prompt, llm)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["peak_rss_mib"] = round(peak / 1024, 1)
    result["peak_rss_mib_before_model_load"] = round(rss0 / 1024, 1)
    result["vm_hwm_mib"] = round((vm_hwm_kib() or 0) / 1024, 1)
    result["loadavg_after"] = os.getloadavg()
    if args.sightline_bin:
        result["sightline"] = run_sightline(args, prompt, prompt_text, result["llama_cpp_run"]["generated_ids"])
    else:
        result["sightline"] = None
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
