#!/usr/bin/env bash
# The single test command: installs what is missing (scripts/install-deps.sh), then runs the format
# check, clippy and every test. Tests start their own PostgreSQL, Redis and MongoDB-wire servers on
# free ports in temporary directories; nothing on the machine's standard ports is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/install-deps.sh | grep '^export ')"

if ! command -v cargo >/dev/null 2>&1; then
    echo "test.sh: cargo is not installed; install the Rust toolchain (rustup) first" >&2
    exit 1
fi
# A persistent target dir outside the clone keeps repeated runs fast; a cold one works too.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo deny (licenses, bans, sources)"
# Advisories are left out: their database lives on a git host this workplace cannot reach.
if ! cargo deny --version >/dev/null 2>&1; then
    cargo install cargo-deny --locked --version 0.20.2
fi
cargo deny check licenses bans sources
echo "== cargo test"
cargo test --all-targets --locked
