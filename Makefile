# Every target works on a fresh machine: it installs what it needs itself.
SHELL := /bin/bash
export CARGO_TERM_COLOR := never
# Bounded fuzzing: how many random inputs each property test feeds the parsers.
export PROPTEST_CASES ?= 2000

.PHONY: test lint test-native bench-poll

## Run every test: lints, the pure core, the emulator.
test: lint test-native

lint:
	cargo clippy --workspace --all-targets -- -D warnings

test-native:
	cargo test --workspace

## Polling schedule in virtual time over 10,000 simulated jobs.
bench-poll:
	cargo bench --bench poll
