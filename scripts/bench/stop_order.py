#!/usr/bin/env python3
"""Stop ordering against the real node (issue #13, fault 1): does a pick accepted before a stop
ever publish after the stop's intent?

Starts `sightline run LAUNCH` on free loopback ports, subscribes to `intent`, and runs randomised
trials of "1-3 picks, then stop" with a random gap between the last pick and the stop (0 ms in
a third of the trials, else uniform in 0-50 ms):

  * one client: one DEALER sends the picks and then the stop (without waiting for the replies;
    one connection's requests are accepted in the order sent);
  * two clients: one DEALER sends the picks, another sends the stop once the picks' `accepted`
    replies are in (so they were accepted first) plus the gap.

A leak is any intent of such a pick that arrives after its stop's intent (one PUB socket, so
the subscriber sees intents in publishing order). As a control, some trials send the stop first
and the pick after it: those picks should be interpreted and published after the stop, which
shows the measurement does see intents that come late.

    .cache/pyclient/bin/python scripts/bench/stop_order.py [--trials 100] [--seed 13] [--json out.json]

Needs pyzmq (`make pyclient`), a release build (`make build`) and the Qwen GGUF (`make models`).
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import zmq

REPO = Path(__file__).resolve().parents[2]
PICKS = ["pick up the red cube", "push the blue ball", "put the green cone on the yellow ring", "look at the orange cylinder"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Intents:
    """Every intent the node publishes, in arrival order."""

    def __init__(self, ctx, endpoint):
        self.sub = ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"intent")
        self.sub.setsockopt(zmq.RCVHWM, 0)
        self.sub.connect(endpoint)
        self.lock = threading.Lock()
        self.items = []
        self.done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.done.is_set():
            if self.sub.poll(50):
                _, body = self.sub.recv_multipart()
                with self.lock:
                    self.items.append(json.loads(body))

    def snapshot(self):
        with self.lock:
            return list(self.items)

    def wait_for(self, command_id, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if any(m["command_id"] == command_id for m in self.snapshot()):
                return True
            time.sleep(0.01)
        return False


def request(dealer, body):
    dealer.send_multipart([b"", json.dumps(body).encode()])


def reply(dealer, timeout_ms=5000):
    if not dealer.poll(timeout_ms):
        raise RuntimeError("no reply from the node")
    return json.loads(dealer.recv_multipart()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launch", default="Launch/demo.yaml")
    ap.add_argument("--binary", default=str(REPO / ".build/release/sightline"))
    ap.add_argument("--trials", type=int, default=100, help="trials per mode (one client, two clients)")
    ap.add_argument("--controls", type=int, default=5, help="control trials per mode (stop first, then pick)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--settle", type=float, default=6.0, help="seconds to wait at the end for late intents")
    ap.add_argument("--set", action="append", default=[], dest="overrides")
    ap.add_argument("--json")
    ap.add_argument("--log", default="/tmp/sightline-stop-order.log", help="the node's log")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    ports = [free_port() for _ in range(3)]
    commands, publish = f"tcp://127.0.0.1:{ports[0]}", f"tcp://127.0.0.1:{ports[1]}"
    cmd = [args.binary, "run", args.launch,
           "--set", f"endpoints.commands={commands}", "--set", f"endpoints.publish={publish}",
           "--set", f"metrics.port={ports[2]}", "--set", "intents.annotate_limit=0",
           # Generous rate so the trials are never rate_limited (each client sends 2-3 requests/s).
           "--set", "limits.per_client_rate=50"]
    for o in args.overrides:
        cmd += ["--set", o]
    log = open(args.log, "w")
    node = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=log)
    ctx = zmq.Context()
    try:
        status = ctx.socket(zmq.SUB)
        status.setsockopt(zmq.SUBSCRIBE, b"status")
        status.connect(publish)
        intents = Intents(ctx, publish)
        if not status.poll(120_000) or node.poll() is not None:
            sys.exit(f"the node did not start; see {args.log}")
        status.close(0)
        time.sleep(2)

        a, b = ctx.socket(zmq.DEALER), ctx.socket(zmq.DEALER)
        a.connect(commands)
        b.connect(commands)
        time.sleep(0.3)

        trials = []  # (mode, pick ids, stop id, gap ms, control)
        plan = [("one", False)] * args.trials + [("two", False)] * args.trials \
            + [("one", True)] * args.controls + [("two", True)] * args.controls
        rng.shuffle(plan)
        for n, (mode, control) in enumerate(plan):
            gap = 0.0 if rng.random() < 1 / 3 else rng.uniform(0, 0.050)
            texts = [rng.choice(PICKS) for _ in range(1 if control else rng.randint(1, 3))]
            picks = [{"id": f"t{n}-pick{k}", "text": text} for k, text in enumerate(texts)]
            stopper = a if mode == "one" else b
            if control:
                request(stopper, {"id": f"t{n}-stop", "text": "stop"})
                stop_reply = reply(stopper)
                time.sleep(gap)
                request(a, picks[0])
                pick_replies = [reply(a)]
            elif mode == "one":
                for pick in picks:
                    request(a, pick)
                if gap:
                    time.sleep(gap)
                request(a, {"id": f"t{n}-stop", "text": "stop"})
                pick_replies = [reply(a) for _ in picks]
                stop_reply = reply(a)
            else:
                for pick in picks:
                    request(a, pick)
                pick_replies = [reply(a) for _ in picks]
                if gap:
                    time.sleep(gap)
                request(b, {"id": f"t{n}-stop", "text": "stop"})
                stop_reply = reply(b)
            accepted = [r["id"] for r in pick_replies if r.get("status") == "accepted"]
            if len(accepted) != len(picks) or stop_reply.get("status") != "accepted":
                print(f"trial {n}: not all accepted: {pick_replies} {stop_reply}", file=sys.stderr)
            if stop_reply.get("status") != "accepted" or not accepted:
                continue
            trials.append((mode, accepted, stop_reply["id"], gap * 1000, control))
            intents.wait_for(stop_reply["id"], 2)
            if control:
                intents.wait_for(accepted[0], 10)  # let the control pick run before the next trial
            # A random pause, so some picks are cut off in the queue and some mid-interpretation.
            time.sleep(rng.uniform(0.2, 1.5))
        time.sleep(args.settle)
        seen = intents.snapshot()
        intents.done.set()
    finally:
        node.send_signal(signal.SIGTERM)
        try:
            node.wait(30)
        except subprocess.TimeoutExpired:
            node.kill()

    index = {}
    for i, m in enumerate(seen):
        index.setdefault(m["command_id"], []).append(i)
    results = {}
    for mode in ("one", "two"):
        rows = [t for t in trials if t[0] == mode and not t[4]]
        leaks = leaked_intents = pick_intents_before = missing_stop = 0
        for _, picks, stop, _, _ in rows:
            if stop not in index:
                missing_stop += 1
                continue
            stop_at = index[stop][0]
            after = [i for pick in picks for i in index.get(pick, []) if i > stop_at]
            pick_intents_before += len([i for pick in picks for i in index.get(pick, []) if i < stop_at])
            leaked_intents += len(after)
            leaks += 1 if after else 0
        controls = [t for t in trials if t[0] == mode and t[4]]
        control_late = sum(1 for _, picks, stop, _, _ in controls
                           if stop in index and any(i > index[stop][0] for i in index.get(picks[0], [])))
        results[mode] = {
            "trials": len(rows), "picks": sum(len(t[1]) for t in rows), "leaks": leaks, "leaked_intents": leaked_intents,
            "pick_intents_before_stop": pick_intents_before, "stops_without_intent": missing_stop,
            "zero_gap_trials": sum(1 for t in rows if t[3] == 0),
            "gap_ms": [round(min((t[3] for t in rows), default=0), 1), round(max((t[3] for t in rows), default=0), 1)],
            "controls": len(controls), "controls_published_after_stop": control_late,
        }
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    sys.exit(1 if any(r["leaks"] or r["stops_without_intent"] for r in results.values()) else 0)


if __name__ == "__main__":
    main()
