#!/usr/bin/env bash
# The dependency advisories check: `cargo deny check advisories` against the live RustSec database
# when it can be fetched, else against a snapshot bundle of it (a `git bundle` of the database,
# named by SWITCHBOARD_ADVISORY_BUNDLE), else it says that no database could be had. It prints
# which database it used and that database's date.
set -euo pipefail
cd "$(dirname "$0")/.."

dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
stored() { ls -d "$dbs"/advisory-db-* 2>/dev/null | head -n 1 || true; }

# A copy made from a snapshot would "fetch" from that snapshot: drop it so the live database is
# tried first every time.
existing="$(stored)"
if [ -n "$existing" ] && [[ "$(git -C "$existing" remote get-url origin 2>/dev/null)" != http* ]]; then
    rm -rf "$existing"
fi

if ! timeout 120 cargo deny fetch db >/dev/null 2>&1; then
    if [ -z "${SWITCHBOARD_ADVISORY_BUNDLE:-}" ] || [ ! -f "$SWITCHBOARD_ADVISORY_BUNDLE" ]; then
        echo "advisories: the RustSec database cannot be fetched and no snapshot is given" \
            "(SWITCHBOARD_ADVISORY_BUNDLE); not checked" >&2
        exit 0
    fi
    # cargo-deny looks for the database in a folder of its own naming under $dbs: ask it which.
    expected="$( (cargo deny --offline check advisories 2>&1 || true) |
        sed -n "s/.*cannot change to '\([^']*\/advisory-db-[0-9a-f]*\)'.*/\1/p" | head -n 1)"
    if [ -z "$expected" ]; then
        echo "advisories: cannot tell where cargo-deny keeps its database" >&2
        exit 1
    fi
    rm -rf "$expected"
    mkdir -p "$(dirname "$expected")"
    git -c init.defaultBranch=main clone -q "$SWITCHBOARD_ADVISORY_BUNDLE" "$expected"
fi

db="$(stored)"
origin="$(git -C "$db" remote get-url origin)"
case "$origin" in
    http*) source="the live RustSec database ($origin)" ;;
    *) source="an offline snapshot of the RustSec database ($origin)" ;;
esac
echo "advisories: using $source, last changed $(git -C "$db" show -s --format=%cI HEAD)"
cargo deny --offline check advisories
