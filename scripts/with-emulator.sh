#!/usr/bin/env bash
# Runs a command with a fresh emulator on a free loopback port, exported as LUMA_EMULATOR_URL,
# and stops the emulator afterwards whatever happens. Extra emulator flags via EMULATOR_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p luma-emulator
out=$(mktemp)
target/debug/luma-emulator --port 0 --api-key test-key --admin ${EMULATOR_ARGS:-} >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  url=$(head -n1 "$out" | sed -n 's/^listening on //p')
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "${url:-}" ] || { echo "the emulator did not start" >&2; exit 1; }
export LUMA_EMULATOR_URL="$url"
"$@"
