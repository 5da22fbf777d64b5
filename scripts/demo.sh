#!/usr/bin/env bash
# make demo: the package, the emulator at a human speed (a job takes a few seconds), a gateway per
# upstream in workerd, and the page, all on 127.0.0.1; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s pkg
worker/build.sh
cargo build -q -p luma-emulator
out=$(mktemp)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -f "$out"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# --speed 25: Luma's ~110 s median job becomes ~4.4 s.
target/debug/luma-emulator --port 0 --api-key test-key --speed 25 >"$out" &
pids+=($!)
for _ in $(seq 1 100); do
  url=$(head -n1 "$out" | sed -n 's/^listening on //p'); [ -n "$url" ] && break; sleep 0.05
done
[ -n "${url:-}" ] || { echo "the emulator did not start" >&2; exit 1; }
port=${DEMO_PORT:-8080}
(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && port=0   # taken: pick a free one
scripts/mf-node.sh www/serve.mjs --emulator "$url" --port "$port" --gateway &
pids+=($!)
echo "emulator: $url (luma, aimlapi, apiframe, gptge); Ctrl-C stops the demo"
wait
