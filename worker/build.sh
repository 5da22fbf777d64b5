#!/usr/bin/env bash
# Builds the gateway's wasm (the crate with the `gateway` feature) into worker/build/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh wasm npm
cargo build --lib --release --target wasm32-unknown-unknown --features gateway --target-dir target/gateway
wasm-bindgen --target web --out-dir worker/build --out-name luma_extend target/gateway/wasm32-unknown-unknown/release/luma_extend.wasm
node_modules/.bin/wasm-opt -Oz worker/build/luma_extend_bg.wasm -o worker/build/luma_extend_bg.wasm
