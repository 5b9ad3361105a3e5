#!/usr/bin/env bash
# The benchmark command: Switchboard against the direct drivers in one run (see benches/api.rs).
# Installs what it needs (wrk; the test backends via scripts/install-deps.sh) and builds in release
# mode. BENCH_SECS sets the seconds per case (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/install-deps.sh | grep '^export ')"
if ! command -v wrk >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard/target}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
cargo bench --bench api
