#!/bin/sh
# The interpreter's evaluation on the real Qwen2.5 GGUF (make models): every command of
# Tests/Fixtures/interpreter/eval_commands.json interpreted and resolved as the node does;
# prints each failure and the totals. Needs an optimised build (the test is skipped otherwise).
#   scripts/interpreter/eval.sh            build, then run
#   scripts/interpreter/eval.sh --skip-build
set -eu
cd "$(dirname "$0")/../.."
if [ "${1:-}" != "--skip-build" ]; then
    swift build -c release -Xswiftc -enable-testing --build-tests
fi
out=$(mktemp)
status=0
swift test -c release -Xswiftc -enable-testing --skip-build --filter 'InterpreterEvaluationTests' >"$out" 2>&1 || status=$?
grep '\[interpreter eval\]' "$out" | sed 's/^\[interpreter eval\] //' || true
if grep -q 'skipped' "$out" && ! grep -q '\[interpreter eval\]' "$out"; then
    grep -i 'skipped' "$out"
fi
grep -E 'Test run with|failed' "$out" | tail -3
rm -f "$out"
exit $status
