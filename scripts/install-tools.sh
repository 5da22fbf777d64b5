#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh machine; quick when all is present.
# Usage: scripts/install-tools.sh [wasm] [browser] [npm] [python] [node22]   (no argument: everything)
set -euo pipefail
cd "$(dirname "$0")/.."
ARGS="$*"
want() { [ -z "$ARGS" ] || [[ " $ARGS " == *" $1 "* ]]; }

if want wasm; then
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  # The CLI must be exactly the version the crate pins.
  version=$(grep -E '^wasm-bindgen = "=' Cargo.toml | sed -E 's/.*"=([^"]+)".*/\1/')
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    cargo install wasm-bindgen-cli --version "$version"
  fi
fi

if want browser; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

if want npm; then
  # npm ci is slow even when nothing changed: skip it while the lockfile is unchanged.
  stamp=node_modules/.lock-stamp
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund
    cp package-lock.json "$stamp"
  fi
fi

if want python; then
  # The SDK test makes its own venv; Debian splits venv and ensurepip into python3-venv.
  if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3 python3-venv >/dev/null
  fi
fi

if want node22; then
  # Miniflare, the local workerd harness, needs Node 22 since 4.20260430; its older releases reset
  # connections under bench-load's bursts (docs/design.md). The system Node stays the one the
  # package is tested on; this one only drives Miniflare (scripts/mf-node.sh). Pinned, from the
  # npm registry's platform packages.
  v=22.23.5
  if [ "$(.tools/node22/bin/node --version 2>/dev/null)" != "v$v" ]; then
    case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
    name="node-$(uname -s | tr '[:upper:]' '[:lower:]')-$arch"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$name@$v" >/dev/null)
    rm -rf .tools/node22 && mkdir -p .tools/node22
    tar xzf "$tmp/$name-$v.tgz" -C .tools/node22 --strip-components=1
    rm -rf "$tmp"
  fi
fi
