#!/bin/sh
# A larger, reproducible fuzz run of the `sightline` CLI (Tests/CLITests/CLIFuzzTests.swift) and of
# the command-body parser (Tests/MessagingTests/FuzzTests.swift), on an already built release
# test bundle (`swift build -c release -Xswiftc -enable-testing --build-tests`).
#
#   scripts/fuzz/cli_fuzz.sh              # 1200 CLI cases, seed 1, 10 s limit per run
#   SIGHTLINE_FUZZ_CASES=5000 SIGHTLINE_FUZZ_SEED=42 scripts/fuzz/cli_fuzz.sh
#
# Prints one summary line per fuzz test ("CLI fuzz: seed S, N runs, R refused with an error,
# C crashes, H hangs") and fails if any run crashed or hung.
set -eu
cd "$(dirname "$0")/../.."
export SIGHTLINE_FUZZ_CASES="${SIGHTLINE_FUZZ_CASES:-1200}"
export SIGHTLINE_FUZZ_SEED="${SIGHTLINE_FUZZ_SEED:-1}"
export SIGHTLINE_FUZZ_TIMEOUT_S="${SIGHTLINE_FUZZ_TIMEOUT_S:-10}"
log=$(mktemp /tmp/sightline-fuzz-XXXXXX.log)
status=0
swift test -c release -Xswiftc -enable-testing --skip-build \
    --filter 'CLIFuzzTests|MessagingTests.FuzzTests|RequestEncodingTests' >"$log" 2>&1 || status=$?
grep -E 'fuzz:|Test run with|recorded an issue' "$log" || true
echo "exit $status; full log: $log"
exit "$status"
