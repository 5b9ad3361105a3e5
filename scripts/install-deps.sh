#!/usr/bin/env bash
# Install the external test dependencies of Switchboard on a Debian 12 machine.
#
# Idempotent and quick when everything is already present: apt-get and pip
# only run when something is actually missing. Must run as root (or with
# passwordless sudo) if Debian packages are missing.
#
# It only installs binaries; it never starts the system PostgreSQL/Redis/MariaDB
# services (the test harness starts throwaway instances itself, see
# docs/dev-notes-backends.md).
#
# Environment:
#   SWITCHBOARD_TEST_VENV  venv for Python-based test servers
#                          (default: $HOME/.cache/switchboard/venv)
#   SWITCHBOARD_PYTHON     interpreter used to create the venv (default: python3)
#
# Output: the last lines on stdout are `export NAME=value` lines, so
#   eval "$(scripts/install-deps.sh | grep '^export ')"
# sets SWITCHBOARD_NX27017, SWITCHBOARD_PG_BIN, SWITCHBOARD_TEST_VENV.
set -euo pipefail

NX_PKG="nx-27017"
NX_VERSION="0.8.1"
VENV="${SWITCHBOARD_TEST_VENV:-$HOME/.cache/switchboard/venv}"
PYTHON="${SWITCHBOARD_PYTHON:-python3}"

log() { echo "install-deps: $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------
apt_missing=()

need_bin() { # need_bin BINARY PACKAGE
    if [ ! -x "$1" ]; then apt_missing+=("$2"); fi
}

need_bin /usr/bin/redis-server   redis-server
need_bin /usr/bin/redis-sentinel redis-sentinel
need_bin /usr/bin/redis-cli      redis-tools
if ! compgen -G '/usr/lib/postgresql/15/bin/initdb' >/dev/null; then
    apt_missing+=(postgresql-15)
fi
# MariaDB: the harness runs mariadb-install-db and mariadbd itself; the client answers its sql().
need_bin /usr/sbin/mariadbd      mariadb-server
need_bin /usr/bin/mariadb        mariadb-client
command -v pkg-config >/dev/null 2>&1 || apt_missing+=(pkg-config)
# libssl-dev: not needed while we use rustls. If that ever changes:
# pkg-config --exists openssl 2>/dev/null || apt_missing+=(libssl-dev)
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    # Debian's python3 ships venv without ensurepip unless python3-venv is in.
    apt_missing+=(python3-venv)
fi

# --- Web console: Debian's Chromium for the end-to-end tests -----------------
# (playwright-core drives it; a browser download of Playwright's own cannot work here). The npm
# packages of web/ are installed below, once the Debian packages are in.
need_bin /usr/bin/chromium chromium
# ---------------------------------------------------------------------------

if [ "${#apt_missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${apt_missing[*]}"
    # Keep package postinst scripts from starting system services
    # (redis-server/redis-sentinel/postgresql/mariadb would grab 6379/26379/5432/3306).
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
        created_policy=1
        trap 'if [ "$created_policy" = 1 ]; then $SUDO rm -f "$policy"; fi' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${apt_missing[@]}" >&2
    if [ "$created_policy" = 1 ]; then
        $SUDO rm -f "$policy"
        created_policy=0
    fi
else
    log "Debian packages: all present"
fi

# PostgreSQL bin dir: prefer 15, else the newest installed major.
PG_BIN=""
if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    PG_BIN=/usr/lib/postgresql/15/bin
else
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        [ -x "$d/initdb" ] && PG_BIN="$d"
    done
fi
if [ -z "$PG_BIN" ]; then
    log "ERROR: no PostgreSQL initdb found under /usr/lib/postgresql/*/bin"
    exit 1
fi

# ---------------------------------------------------------------------------
# Python venv with nx-27017 (MongoDB wire-protocol server)
# ---------------------------------------------------------------------------
nx_installed_version() {
    "$VENV/bin/python" -c \
        'import importlib.metadata as m; print(m.version("'"$NX_PKG"'"))' \
        2>/dev/null || true
}

if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi

if [ "$(nx_installed_version)" = "$NX_VERSION" ] && [ -x "$VENV/bin/nx-27017" ]; then
    log "$NX_PKG $NX_VERSION: present"
else
    log "installing $NX_PKG==$NX_VERSION into $VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q \
        "$NX_PKG==$NX_VERSION" >&2
    if [ "$(nx_installed_version)" != "$NX_VERSION" ] || [ ! -x "$VENV/bin/nx-27017" ]; then
        log "ERROR: $NX_PKG $NX_VERSION not usable after install"
        exit 1
    fi
fi

# schemathesis (the API fuzz run in tests/openapi.rs), pinned, in the same venv
ST_VERSION="4.32.5"
st_installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true
}
if [ "$(st_installed_version)" = "$ST_VERSION" ] && [ -x "$VENV/bin/schemathesis" ]; then
    log "schemathesis $ST_VERSION: present"
else
    log "installing schemathesis==$ST_VERSION into $VENV"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q "schemathesis==$ST_VERSION" >&2
fi

# ---------------------------------------------------------------------------
# npm packages of the web console (web/package-lock.json), with `npm ci` only when the lock file
# changed since the last install
# ---------------------------------------------------------------------------
WEB_DIR="$(cd "$(dirname "$0")/.." && pwd)/web"
if ! command -v npm >/dev/null 2>&1; then
    log "ERROR: npm not found; the web console needs Node.js 20.19+ with npm (for its tests only)"
    exit 1
fi
lock_sum="$(sha256sum "$WEB_DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$WEB_DIR/node_modules/.switchboard-lock.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
    log "web/node_modules: up to date"
else
    log "installing web/node_modules (npm ci)"
    (cd "$WEB_DIR" && npm ci --no-audit --no-fund >&2)
    echo "$lock_sum" >"$stamp"
fi

# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
echo "export SWITCHBOARD_TEST_VENV=$VENV"
echo "export SWITCHBOARD_NX27017=$VENV/bin/nx-27017"
echo "export SWITCHBOARD_SCHEMATHESIS=$VENV/bin/schemathesis"
echo "export SWITCHBOARD_PG_BIN=$PG_BIN"
