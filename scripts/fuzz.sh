#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS each (default 60) on the nightly toolchain, starting
# from the committed corpus in fuzz/corpus/<target> and adding what it finds there. A crash fails
# the run and leaves its input in fuzz/artifacts/<target>.
#   scripts/fuzz.sh                 every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh extjson
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal >&2
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked >&2
fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/switchboard/target-fuzz}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    echo "fuzz: $target for ${seconds}s"
    cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 2>&1 \
        | grep -E '^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|thread|.*panicked)' || true
    # `cargo fuzz run` exits non-zero on a crash; pipefail is lost through grep, so check artifacts.
    if compgen -G "fuzz/artifacts/$target/*" >/dev/null; then
        echo "fuzz: $target found a crash: fuzz/artifacts/$target" >&2
        exit 1
    fi
done
echo "fuzz: every target ran ${seconds}s without a crash"
