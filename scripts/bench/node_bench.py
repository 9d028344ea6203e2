#!/usr/bin/env python3
"""Benchmarks the running node end to end over ZeroMQ (issues #6 and #7 figures).

Starts `sightline run LAUNCH` on free loopback ports, subscribes to everything it publishes,
and measures while it runs on the bundled recording at 30 fps:

  * frame-to-scene latency p50/p99 (from each `scene` message's latency_ms), achieved scene rate,
    deadline-miss rate per stage (from `status`), CPU% and peak RSS of the node (/proc);
  * with --flood R: the same while R commands/s arrive from 4 clients;
  * with --commands: command-to-first-intent latency p50/p99 over repeated demo commands, and
    grounding update latency (frame capture to published revision) while the interpreter is busy.

    .cache/pyclient/bin/python scripts/bench/node_bench.py --seconds 20 [--flood 100] [--commands 10] \
        [--set models.clip=/path/to/clip-vit-base-patch32] [--json out.json]

Needs pyzmq (`make pyclient` makes .cache/pyclient) and a release build (`make build`).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import zmq

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return round(values[k], 1)


class Proc:
    """CPU seconds and RSS of a process from /proc."""

    def __init__(self, pid):
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.peak_rss = 0

    def cpu_seconds(self):
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    def sample_rss(self):
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith("VmRSS:"):
                self.peak_rss = max(self.peak_rss, int(line.split()[1]) // 1024)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launch", default="Launch/demo.yaml")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--flood", type=float, default=0, help="commands per second during a second phase")
    ap.add_argument("--commands", type=int, default=0, help="demo commands to time (command to first intent)")
    ap.add_argument("--set", action="append", default=[], dest="overrides")
    ap.add_argument("--json")
    args = ap.parse_args()

    ports = [free_port() for _ in range(3)]
    commands, publish = f"tcp://127.0.0.1:{ports[0]}", f"tcp://127.0.0.1:{ports[1]}"
    cmd = [str(REPO / ".build/release/sightline"), "run", args.launch,
           "--set", f"endpoints.commands={commands}", "--set", f"endpoints.publish={publish}",
           "--set", f"metrics.port={ports[2]}", "--set", "intents.annotate_limit=0"]
    for o in args.overrides:
        cmd += ["--set", o]
    log = open("/tmp/sightline-node-bench.log", "w")
    node = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=log)
    proc = Proc(node.pid)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(publish)
    received = []  # (topic, message, arrival realtime ns)
    lock = threading.Lock()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            if sub.poll(50):
                topic, body = sub.recv_multipart()
                with lock:
                    received.append((topic.decode(), json.loads(body), time.time_ns()))
    threading.Thread(target=reader, daemon=True).start()

    def messages(topic, since=0):
        with lock:
            return [(m, t) for (tp, m, t) in received[since:] if tp == topic]

    deadline = time.time() + 120
    while not messages("status"):
        if time.time() > deadline or node.poll() is not None:
            sys.exit("the node did not start; see /tmp/sightline-node-bench.log")
        time.sleep(0.1)
    time.sleep(2)  # warm up

    def phase(name, seconds, flood_rate=0.0):
        start_index = len(received)
        cpu0, t0 = proc.cpu_seconds(), time.time()
        status0 = messages("status")[-1][0]
        clients = []
        replies = {}
        if flood_rate:
            for _ in range(4):
                dealer = ctx.socket(zmq.DEALER)
                dealer.connect(commands)
                clients.append(dealer)
        sent = 0
        while time.time() - t0 < seconds:
            proc.sample_rss()
            if flood_rate:
                due = int((time.time() - t0) * flood_rate)
                while sent < due:
                    clients[sent % 4].send_multipart([b"", json.dumps({"text": f"pick up the red cube {sent}"}).encode()])
                    sent += 1
                for d in clients:
                    while d.poll(0):
                        reply = json.loads(d.recv_multipart()[-1])
                        key = reply.get("reason") or reply["status"]
                        replies[key] = replies.get(key, 0) + 1
            time.sleep(0.005)
        for d in clients:
            end = time.time() + 5
            while sum(replies.values()) < sent and time.time() < end:
                if d.poll(20):
                    reply = json.loads(d.recv_multipart()[-1])
                    key = reply.get("reason") or reply["status"]
                    replies[key] = replies.get(key, 0) + 1
            d.close(0)
        time.sleep(1.2)  # one more status
        cpu = proc.cpu_seconds() - cpu0
        elapsed = time.time() - t0
        scenes = [m for m, _ in messages("scene", start_index)]
        status1 = messages("status")[-1][0]
        def delta(key, stage):
            return status1[key].get(stage, 0) - status0[key].get(stage, 0)
        def done(stage):
            return status1["latency_ms"].get(stage, {}).get("count", 0) - status0["latency_ms"].get(stage, {}).get("count", 0)
        misses = {s: delta("deadline_misses", s) for s in ("scene", "ground", "interpret")}
        jobs = {s: done(s) + misses[s] for s in misses}
        result = {
            "phase": name, "seconds": round(elapsed, 1),
            "frames_in": status1["frames"]["in"] - status0["frames"]["in"],
            "scene_messages": len(scenes), "scene_rate_hz": round(len(scenes) / elapsed, 2),
            "frame_to_scene_ms": {"p50": pct([m["latency_ms"] for m in scenes], 50), "p99": pct([m["latency_ms"] for m in scenes], 99)},
            "deadline_misses": misses, "jobs": jobs,
            "miss_rate": {s: round(misses[s] / jobs[s], 3) if jobs[s] else None for s in misses},
            "cpu_percent": round(100 * cpu / elapsed, 1), "peak_rss_mib": proc.peak_rss,
            "shedding_at_end": status1["shedding"],
        }
        if flood_rate:
            result["flood"] = {"sent": sent, "replies": replies}
        return result

    results = [phase("steady", args.seconds)]
    if args.flood:
        results.append(phase(f"flood {args.flood:g}/s", args.seconds, args.flood))

    if args.commands:
        dealer = ctx.socket(zmq.DEALER)
        dealer.connect(commands)
        first_intent, updates = [], []
        texts = ["pick up the red cube", "go to the blue ball"]
        for i in range(args.commands):
            start_index = len(received)
            sent_ns = time.time_ns()
            dealer.send_multipart([b"", json.dumps({"text": texts[i % 2]}).encode()])
            reply = json.loads(dealer.recv_multipart()[-1])
            cid = reply.get("id")
            end = time.time() + 15
            got_first = False
            while time.time() < end:
                intents = [(m, t) for m, t in messages("intent", start_index) if m["command_id"] == cid]
                if intents and not got_first:
                    first_intent.append((intents[0][1] - sent_ns) / 1e6)
                    got_first = True
                if len(intents) >= 12:
                    break
                time.sleep(0.02)
            # Later revisions: capture of their frame to arrival here (same host clock).
            updates += [(t - m["frame"]["captured_realtime_ns"]) / 1e6 for m, t in intents[1:]]
            proc.sample_rss()
        results.append({
            "phase": "commands", "commands": args.commands,
            "command_to_first_intent_ms": {"p50": pct(first_intent, 50), "p99": pct(first_intent, 99), "all": [round(x) for x in first_intent]},
            "grounding_update_ms": {"count": len(updates), "p50": pct(updates, 50), "p99": pct(updates, 99)},
            "peak_rss_mib": proc.peak_rss,
        })
        final = messages("status")[-1][0]
        results[-1]["status_deadline_misses"] = final["deadline_misses"]
        results[-1]["status_latency_ms"] = final["latency_ms"]

    stop.set()
    node.send_signal(signal.SIGINT)
    try:
        code = node.wait(30)
    except subprocess.TimeoutExpired:
        node.kill()
        code = "killed"
    out = {"launch": args.launch, "overrides": args.overrides, "exit_code": code, "loadavg": os.getloadavg(), "results": results}
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
