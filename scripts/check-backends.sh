#!/usr/bin/env bash
# Smoke check: start a throwaway PostgreSQL 15, Redis, Redis Sentinel, a 3-node
# Redis Cluster and nx-27017 exactly as docs/dev-notes-backends.md describes,
# check each answers, print timings, and stop/remove everything again.
# Needs scripts/install-deps.sh to have run. Run as root (CI) or as a normal
# user (then PostgreSQL runs as that user, no setpriv).
#   SB_PORT_BASE  first port to use (default 21000; keep base+10099 < 32768)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
eval "$("$HERE/install-deps.sh" 2>/dev/null | grep '^export ')"

BASE="${SB_PORT_BASE:-21000}"
PG_PORT=$((BASE + 0)); REDIS_PORT=$((BASE + 1)); SENTINEL_PORT=$((BASE + 2))
NX_PORT=$((BASE + 3)); CLUSTER_PORTS=($((BASE + 11)) $((BASE + 12)) $((BASE + 13)))

PIDS=()
ROOT=""
cleanup() {
    for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$ROOT" ] && rm -rf "$ROOT"
}
trap cleanup EXIT
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# wait_for SECONDS CMD...: poll CMD every 20ms until it succeeds
wait_for() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "TIMEOUT: $*" >&2; return 1; }
        sleep 0.02
    done
}
redis_pong() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ROOT=$(mktemp -d /tmp/sb-check.XXXXXX)
chmod 0711 "$ROOT"   # the postgres user must be able to traverse it

# --- PostgreSQL 15 -----------------------------------------------------------
PGT=$ROOT/pg; mkdir -p "$PGT"
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PGT"
    AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
s=$(date +%s%N)
( cd "$PGT" && "${AS_PG[@]}" "$SWITCHBOARD_PG_BIN/initdb" -D "$PGT/data" -U postgres \
    -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PGT/initdb.log" 2>&1 ) \
    || { cat "$PGT/initdb.log" >&2; exit 1; }
echo "postgres: initdb $(ms "$s")ms"
s=$(date +%s%N)
( cd "$PGT" && exec "${AS_PG[@]}" "$SWITCHBOARD_PG_BIN/postgres" -D "$PGT/data" \
    -p "$PG_PORT" -h 127.0.0.1 -k "$PGT" -F \
    -c synchronous_commit=off -c full_page_writes=off >"$PGT/postgres.log" 2>&1 ) &
PIDS+=($!)
wait_for 20 "$SWITCHBOARD_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    || { cat "$PGT/postgres.log" >&2; exit 1; }
echo "postgres: ready $(ms "$s")ms; $("$SWITCHBOARD_PG_BIN/psql" -X -tA \
    "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -c 'show server_version')"

# --- Redis + Sentinel --------------------------------------------------------
RT=$ROOT/redis; mkdir -p "$RT"
s=$(date +%s%N)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$RT" --logfile "$RT/redis.log" --repl-diskless-sync-delay 0 &
PIDS+=($!)
wait_for 10 redis_pong "$REDIS_PORT"
echo "redis: ready $(ms "$s")ms"
cat >"$RT/sentinel.conf" <<CONF
port $SENTINEL_PORT
bind 127.0.0.1
dir $RT
logfile $RT/sentinel.log
sentinel monitor mymaster 127.0.0.1 $REDIS_PORT 1
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
CONF
s=$(date +%s%N)
redis-sentinel "$RT/sentinel.conf" &
PIDS+=($!)
wait_for 10 redis_pong "$SENTINEL_PORT"
echo "sentinel: ready $(ms "$s")ms; master = $(redis-cli -p "$SENTINEL_PORT" \
    sentinel get-master-addr-by-name mymaster | paste -sd:)"

# --- Redis Cluster (3 masters) -----------------------------------------------
CT=$ROOT/cluster
s=$(date +%s%N)
for p in "${CLUSTER_PORTS[@]}"; do
    mkdir -p "$CT/$p"
    redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$CT/$p" --logfile "$CT/$p/redis.log" \
        --cluster-enabled yes --cluster-config-file "$CT/$p/nodes.conf" \
        --cluster-node-timeout 2000 &
    PIDS+=($!)
done
for p in "${CLUSTER_PORTS[@]}"; do wait_for 10 redis_pong "$p"; done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${CLUSTER_PORTS[@]}") \
    --cluster-replicas 0 --cluster-yes >"$CT/create.log" 2>&1 \
    || { cat "$CT/create.log" >&2; exit 1; }
cluster_ok() { redis-cli -p "$1" cluster info | grep -q '^cluster_state:ok'; }
for p in "${CLUSTER_PORTS[@]}"; do wait_for 20 cluster_ok "$p"; done
redis-cli -c -p "${CLUSTER_PORTS[0]}" set sb:check 1 >/dev/null
echo "cluster: cluster_state:ok on all nodes $(ms "$s")ms after start"

# --- nx-27017 (MongoDB wire protocol) ----------------------------------------
NT=$ROOT/nx; mkdir -p "$NT"
s=$(date +%s%N)
"$SWITCHBOARD_NX27017" --data-dir "$NT/data" --pid-file "$NT/nx.pid" \
    --log-file "$NT/nx.log" -p "$NX_PORT" >"$NT/stdout.log" 2>&1 &
PIDS+=($!)
wait_for 20 tcp_open "$NX_PORT" || { cat "$NT/stdout.log" >&2; exit 1; }
nx_ms=$(ms "$s")
nx_info=$("$SWITCHBOARD_TEST_VENV/bin/python" - "$NX_PORT" <<'PY'
import sys, pymongo
c = pymongo.MongoClient(f"mongodb://127.0.0.1:{sys.argv[1]}/?directConnection=true",
                        serverSelectionTimeoutMS=3000)
h = c.admin.command("hello")
b = c.admin.command("buildInfo")
print("hello isWritablePrimary=%s buildInfo=%s" % (h["isWritablePrimary"], b["version"]))
PY
)
echo "nx-27017: listening ${nx_ms}ms; $nx_info"

echo "all backends OK"
