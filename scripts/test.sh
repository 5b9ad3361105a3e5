#!/usr/bin/env bash
# The single test command: installs what is missing (scripts/install-deps.sh), checks the web console
# (type check, committed build, Vitest), runs the format check, clippy and every Rust test, the short
# fault test (benches/faults.rs), then the console's end-to-end tests in headless Chromium. Tests
# start their own PostgreSQL, Redis and MongoDB-wire servers on free ports in temporary directories; nothing on the machine's standard
# ports is touched.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/install-deps.sh | grep '^export ')"

if ! command -v cargo >/dev/null 2>&1; then
    echo "test.sh: cargo is not installed; install the Rust toolchain (rustup) first" >&2
    exit 1
fi
# A persistent target dir outside the clone keeps repeated runs fast; a cold one works too.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"

echo "== web: type check, web/dist is the build of web/src, unit tests"
# web/dist is committed (the binary embeds it, so `cargo run` needs no Node.js); a fresh build
# into a scratch folder must give the same files, byte for byte.
(cd web && npx --no-install tsc --noEmit)
web_build="$(mktemp -d)"
trap 'rm -rf "$web_build"' EXIT
(cd web && npx --no-install vite build --logLevel warn --outDir "$web_build" --emptyOutDir)
if ! diff -r web/dist "$web_build" >/dev/null; then
    echo "test.sh: web/dist is not the build of web/src; run 'npm run build' in web/ and commit web/dist" >&2
    diff -rq web/dist "$web_build" >&2 || true
    exit 1
fi
(cd web && npx --no-install vitest run)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo deny (licenses, bans, sources)"
if ! cargo deny --version >/dev/null 2>&1; then
    cargo install cargo-deny --locked --version 0.20.2
fi
cargo deny check licenses bans sources
echo "== cargo deny (advisories)"
scripts/advisories.sh
echo "== cargo test"
cargo test --all-targets --locked
echo "== fault test, short form (debug build): backend faults and SIGTERM drain under load"
# A bench target built by `cargo test` runs its main() only when passed --bench.
FAULT_SHORT=1 cargo test --locked --bench faults -- --bench

echo "== web: end-to-end (headless Chromium, the debug binary, throwaway Redis and PostgreSQL servers)"
(cd web && SWITCHBOARD_BIN="$CARGO_TARGET_DIR/debug/switchboard" node --test e2e/*.test.mjs)
