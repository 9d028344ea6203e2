#!/usr/bin/env bash
# `make demo`: the node's main job on the bundled default. Starts `sightline run Launch/demo.yaml`
# (the bundled recording replayed at 30 fps, the demo CLIP, the Qwen2.5 interpreter), sends three
# commands over ZeroMQ with `sightline send`, prints the intents as readable lines, writes
# annotated frames to out/demo/, and shuts the node down with SIGINT.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.build/release/sightline
OUT=out/demo
rm -rf "$OUT" && mkdir -p "$OUT"

echo "== starting the node (log: $OUT/node.log)"
"$BIN" run Launch/demo.yaml >"$OUT/node.log" 2>&1 &
NODE=$!
trap 'kill -INT $NODE 2>/dev/null || true' EXIT

# Ready when the first status heartbeat arrives (models loaded, sockets bound).
for _ in $(seq 1 60); do
  if "$BIN" listen --topic status --count 1 --timeout 2 >"$OUT/first-status.json" 2>/dev/null; then break; fi
  kill -0 $NODE 2>/dev/null || { echo "the node exited:"; cat "$OUT/node.log"; exit 1; }
done
echo "== node ready: $(head -c 300 "$OUT/first-status.json")..."

for command in "pick up the red cube" "go to the blue ball" "stop"; do
  echo
  echo "== sending: $command"
  "$BIN" send --format text --timeout 30 --follow 3 "$command"
  sleep 1
done

echo
echo "== last status"
"$BIN" listen --topic status --count 1 --timeout 5 | head -c 2000; echo
echo
echo "== shutting down (SIGINT)"
kill -INT $NODE
wait $NODE && echo "node exited cleanly"
trap - EXIT
echo "annotated frames (boxes and phrases drawn):"
ls -1 "$OUT"/*.png 2>/dev/null || echo "(none)"
