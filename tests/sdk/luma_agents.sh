#!/usr/bin/env bash
# The official luma-agents Python SDK, unmodified, installed from PyPI into a venv of its own,
# against the emulator at LUMA_EMULATOR_URL (scripts/with-emulator.sh starts one).
set -euo pipefail
cd "$(dirname "$0")/../.."
# Pinned, so a new SDK release cannot change the test under us; raise it deliberately.
SDK_VERSION=0.5.0
venv=target/sdk-venv/luma-agents-$SDK_VERSION
if ! "$venv/bin/python" -c "import luma_agents" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "luma-agents==$SDK_VERSION"
fi
SDK_VERSION=$SDK_VERSION "$venv/bin/python" tests/sdk/luma_agents_test.py
