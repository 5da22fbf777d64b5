#!/usr/bin/env bash
# Node 22 for the scripts that drive Miniflare (the gateway's tests and benches, the demo, the
# package in workerd): Miniflare needs it; `node` on the PATH, which those scripts spawn for the
# package's own Node checks, stays the system's.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-tools.sh" node22 >&2
exec "$root/.tools/node22/bin/node" "$@"
