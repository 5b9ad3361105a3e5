#!/usr/bin/env bash
# The fault test (benches/faults.rs): backend faults, SIGTERM drain, under load from 32 clients.
# Starts its own backends and Switchboard, prints a table, writes bench/faults.json, and exits
# non-zero if any expectation fails. Release build by default; `--debug` runs the debug build
# (what scripts/test.sh does with FAULT_SHORT=1). Env: FAULT_SHORT=1 (the short CI form),
# FAULT_PHASES=backends,drain (the phases to run; default all).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/install-deps.sh | grep '^export ')"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
if [ "${1:-}" = "--debug" ]; then
    # A bench target built by `cargo test` runs its main() only when passed --bench.
    cargo test --locked --bench faults -- --bench
else
    cargo bench --locked --bench faults
fi
