# Every target works on a fresh machine: it installs what it needs itself (scripts/install-tools.sh).
SHELL := /bin/bash
export CARGO_TERM_COLOR := never
# Bounded fuzzing: how many random inputs each property test feeds the parsers.
export PROPTEST_CASES ?= 2000
WASM := target/wasm32-unknown-unknown/release/luma_extend.wasm

.PHONY: bench-chaos bench-load bench-sdk-dup publish-check test lint test-native test-types test-wasm test-pkg test-e2e test-gateway test-sdk-agents bench-gateway soak-gateway demo pkg tools bench-poll bench-client

## Run every test.
test: tools lint test-native test-types test-wasm test-pkg publish-check test-e2e test-gateway test-sdk-agents

tools:
	scripts/install-tools.sh

lint:
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --all-features -- -D warnings
	cargo clippy --lib --example web_app --target wasm32-unknown-unknown -- -D warnings

## The pure core and the emulator, natively.
test-native:
	cargo test --workspace --all-features

## The TypeScript types: strict usage compiles, deliberate misuse does not.
test-types:
	scripts/install-tools.sh npm
	node tests/types/check.mjs

## The JS-facing client in Node and in headless Chromium, against the emulator, every provider.
test-wasm:
	scripts/install-tools.sh wasm browser
	scripts/with-emulator.sh cargo test --target wasm32-unknown-unknown --test wasm
	WASM_BINDGEN_USE_BROWSER=1 WASM_BINDGEN_TEST_TIMEOUT=600 \
	  scripts/with-emulator.sh cargo test --target wasm32-unknown-unknown --test wasm

## The packed tarball in an empty project: Node ESM, a page in Chromium, a Worker in workerd;
## then the client's contract off the happy path, in Node and Chromium, on a scripted server.
test-pkg: pkg
	scripts/install-tools.sh browser npm
	scripts/with-emulator.sh scripts/mf-node.sh tests/pkg/check.mjs
	node tests/pkg/contract.mjs

## Both registries would take the package as it is.
publish-check: pkg
	cargo package -p luma-extend --allow-dirty
	cd pkg && npm publish --dry-run

## The demo page end to end in headless Chromium (screenshots in test-output/).
test-e2e: pkg
	scripts/install-tools.sh browser npm
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh tests/e2e/demo.test.mjs

## The gateway in workerd against the emulator: every upstream, security, the lumaai SDK.
test-gateway: pkg
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh --test worker/test/gateway.test.mjs worker/test/shards.test.mjs worker/test/contract.test.mjs worker/test/orphans.test.mjs worker/test/learning.test.mjs

## Luma's official luma-agents Python SDK, unmodified (PyPI, a venv of its own), against the emulator.
test-sdk-agents:
	scripts/install-tools.sh python
	scripts/with-emulator.sh tests/sdk/luma_agents.sh

## The gateway's cost per job (Cloudflare's prices), create latency beside a bare proxy, callback lag.
bench-gateway:
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh benches/gateway.mjs

## A 10-minute mixed load with upstream faults, watching workerd's memory (SOAK_SECONDS to change).
soak-gateway:
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh benches/soak-gateway.mjs

## 500 jobs from our client through the gateway with 20 % faults on both sides (gateway-chaos).
bench-chaos: pkg
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh benches/gateway-chaos.mjs

## Bursts of 1,000 and 3,000 concurrent jobs from one token, five runs each (gateway-load).
bench-load: pkg
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh benches/gateway-load.mjs

## The lumaai SDK with its default retries, 100 creates while half the upstream creates fail
## ambiguously (sdk-dup).
bench-sdk-dup:
	worker/build.sh
	scripts/with-emulator.sh scripts/mf-node.sh benches/sdk-dup.mjs

## The demo: the package, the emulator at a human speed and the page, on 127.0.0.1.
demo: tools
	scripts/demo.sh

## The npm package in pkg/: wasm-bindgen (the pinned CLI) and wasm-opt from npm's binaryen.
## Two builds: the client (every entry; no serde_json, no HMAC), and the client with
## verifyWebhook for the luma-extend/webhooks entry (servers).
pkg:
	scripts/install-tools.sh wasm npm
	cargo build --lib --release --target wasm32-unknown-unknown
	cp $(WASM) target/luma_extend.browser.wasm
	wasm-bindgen --target web --out-dir pkg/dist --out-name luma_extend $(WASM)
	node_modules/.bin/wasm-opt -Oz pkg/dist/luma_extend_bg.wasm -o pkg/dist/luma_extend_bg.wasm
	cargo build --lib --release --target wasm32-unknown-unknown --features webhooks
	wasm-bindgen --target web --out-dir pkg/dist/webhooks --out-name luma_extend $(WASM)
	node_modules/.bin/wasm-opt -Oz pkg/dist/webhooks/luma_extend_bg.wasm -o pkg/dist/webhooks/luma_extend_bg.wasm

## Size beside the lumaai SDK, wait() lag per provider, and 500 jobs through 20 % faults.
bench-client: pkg
	EMULATOR_ARGS="--speed 1" scripts/with-emulator.sh node benches/client.mjs

## Polling schedule in virtual time over 10,000 simulated jobs.
bench-poll:
	cargo bench --bench poll
