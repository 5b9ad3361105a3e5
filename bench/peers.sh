#!/usr/bin/env bash
# The peer tools the benchmark compares Switchboard against: the admin tools users pick today for
# each engine (see /work/shared/peers.md, section 4). benches/api.rs measures them through the same
# HTTP load as Switchboard, next to the direct drivers.
#
#   bench/peers.sh install
#       Installs the pinned peers from the npm registry into
#       ${SWITCHBOARD_PEERS_DIR:-$HOME/.cache/switchboard/peers}, one folder per tool. Idempotent: a
#       tool whose folder holds a marker with the pinned version is skipped. Progress goes to stderr.
#   bench/peers.sh start <tool> <backend-host> <backend-port> <listen-port>
#       Runs <tool> in the foreground (exec, so the caller's pid is the tool's) on
#       127.0.0.1:<listen-port> against the given backend. Tools: postgres-meta, redis-commander,
#       mongo-express.
#
# Versions are pinned so that runs compare like with like:
#   @supabase/postgres-meta 0.99.0  (PostgreSQL; needs Node.js >= 20)
#   redis-commander         0.9.0   (Redis)
#   mongo-express           1.0.2   (MongoDB)
#
# Why mongo-express needs a workaround: its published package.json is written for Yarn. It asks
# for mongodb-query-parser through a Yarn-only "patch:" protocol and for bootstrap-paginator from a
# code host (GitHub), which this machine cannot reach, so a plain `npm install mongo-express` fails.
# And its browser assets (build/, build-assets.json) are made by webpack at publish time but are
# not in the tarball. So we `npm pack` it, unpack it, pin mongodb-query-parser@2.4.6 (the version
# the patch applies to), drop bootstrap-paginator (browser-only), `npm install --omit=dev`, and
# write a build-assets.json naming one empty build/<entry>.js per webpack entry. The server then
# renders its HTML pages as usual (which is what the benchmark loads); the in-browser scripts are
# empty, so the UI would not work in a browser.
#
# Requests checked against each peer (L = listen port; H:P = backend as given to `start`):
#   postgres-meta   POST /query, Content-Type: application/json, {"query":"SELECT 1"}; GET /tables
#                   (without the JSON content type /query answers 500 "Unsupported Media Type")
#   redis-commander GET /apiv2/key/R%3A<H>%3A<P>%3A0/<url-encoded key>  (connection id R:H:P:db,
#                   with H exactly as passed; GET /connections lists the ids)
#   mongo-express   GET /db/<db>/<coll>/%22<id>%22 (the _id as a JSON string, URL-encoded; a
#                   24-hex string is looked up as an ObjectId first), GET /db/<db>/<coll>
set -euo pipefail

PEERS_DIR="${SWITCHBOARD_PEERS_DIR:-$HOME/.cache/switchboard/peers}"
PG_META_VERSION=0.99.0
REDIS_COMMANDER_VERSION=0.9.0
MONGO_EXPRESS_VERSION=1.0.2
MONGO_QUERY_PARSER_VERSION=2.4.6
# The webpack entries of mongo-express 1.0.2 (its webpack.config.js), which its pages link to.
MONGO_EXPRESS_ENTRIES=(vendor index database collection document gridfs codemirror)
MARKER=.switchboard-peer-version

log() { echo "peers: $*" >&2; }
die() { echo "peers: error: $*" >&2; exit 1; }

usage() {
    cat >&2 <<EOF
usage: $0 install
       $0 start <tool> <backend-host> <backend-port> <listen-port>
tools: postgres-meta, redis-commander, mongo-express
peers folder: $PEERS_DIR (set SWITCHBOARD_PEERS_DIR to change)
EOF
    exit 2
}

need_npm() {
    command -v node >/dev/null 2>&1 || die "node not found: install Node.js (>= 20) and npm first (e.g. apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm not found: install npm first (e.g. apt-get install npm)"
}

# Quiet npm: no audit, funding or update notices; errors still reach stderr.
npm_q() {
    npm --no-audit --no-fund --no-update-notifier --loglevel=error "$@" >&2
}

# installed <tool> <version>: whether the tool's folder holds a finished install of that version.
installed() {
    [[ -f "$PEERS_DIR/$1/$MARKER" && "$(cat "$PEERS_DIR/$1/$MARKER")" == "$2" ]]
}

# finish <tool> <version> <staging-dir>: marks the staged install and moves it into place.
finish() {
    echo "$2" >"$3/$MARKER"
    rm -rf "${PEERS_DIR:?}/$1"
    mv "$3" "$PEERS_DIR/$1"
}

# An npm package installed with its dependencies into <folder>/node_modules.
install_plain() {
    local tool=$1 spec=$2 version=$3
    if installed "$tool" "$version"; then
        log "$tool $version already installed"
        return
    fi
    log "installing $tool ($spec)..."
    local stage="$PEERS_DIR/.$tool.tmp"
    rm -rf "$stage"
    mkdir -p "$stage"
    echo '{"private": true}' >"$stage/package.json"
    (cd "$stage" && npm_q install --omit=dev --no-package-lock "$spec") \
        || die "npm install $spec failed (is the npm registry reachable?)"
    finish "$tool" "$version" "$stage"
    log "$tool $version installed"
}

install_mongo_express() {
    local tool=mongo-express version=$MONGO_EXPRESS_VERSION
    if installed "$tool" "$version"; then
        log "$tool $version already installed"
        return
    fi
    log "installing $tool $version (npm pack + workaround)..."
    local stage="$PEERS_DIR/.$tool.tmp"
    rm -rf "$stage"
    mkdir -p "$stage"
    (cd "$stage" && npm_q pack "mongo-express@$version") \
        || die "npm pack mongo-express@$version failed (is the npm registry reachable?)"
    tar -xzf "$stage/mongo-express-$version.tgz" -C "$stage"
    rm "$stage/mongo-express-$version.tgz"
    local pkg="$stage/package"
    # Pin the parser to a plain registry version and drop the code-host dependency.
    (cd "$pkg" && MQP="$MONGO_QUERY_PARSER_VERSION" node -e '
        const fs = require("fs");
        const p = JSON.parse(fs.readFileSync("package.json"));
        p.dependencies["mongodb-query-parser"] = process.env.MQP;
        delete p.dependencies["bootstrap-paginator"];
        delete p.devDependencies;
        delete p.resolutions;
        delete p.packageManager;
        delete p.scripts;
        fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n");
    ') || die "could not rewrite mongo-express package.json"
    (cd "$pkg" && npm_q install --omit=dev --no-package-lock) \
        || die "npm install for mongo-express failed (is the npm registry reachable?)"
    # Stand-ins for the webpack output: the server reads build-assets.json at start and its pages
    # link build/<entry>.js (served under /public).
    mkdir -p "$pkg/build"
    local entry json="{" sep=""
    for entry in "${MONGO_EXPRESS_ENTRIES[@]}"; do
        : >"$pkg/build/$entry.js"
        json+="$sep\"$entry\":{\"js\":\"public/$entry.js\"}"
        sep=","
    done
    echo "$json}" >"$pkg/build-assets.json"
    finish "$tool" "$version" "$stage"
    log "$tool $version installed"
}

cmd_install() {
    [[ $# -eq 0 ]] || usage
    need_npm
    mkdir -p "$PEERS_DIR"
    local t0=$SECONDS
    install_plain postgres-meta "@supabase/postgres-meta@$PG_META_VERSION" "$PG_META_VERSION"
    install_plain redis-commander "redis-commander@$REDIS_COMMANDER_VERSION" "$REDIS_COMMANDER_VERSION"
    install_mongo_express
    log "all peers ready in $PEERS_DIR ($((SECONDS - t0)) s)"
}

# check_installed <tool> <version> <package-folder>
check_installed() {
    installed "$1" "$2" && [[ -d "$3" ]] \
        || die "$1 $2 is not installed in $PEERS_DIR: run '$0 install' first"
}

cmd_start() {
    [[ $# -eq 4 ]] || usage
    local tool=$1 host=$2 port=$3 listen=$4 dir
    case "$tool" in
        postgres-meta | redis-commander | mongo-express) ;;
        *) echo "peers: unknown tool '$tool'" >&2; usage ;;
    esac
    [[ "$port" =~ ^[0-9]+$ && "$listen" =~ ^[0-9]+$ ]] || { echo "peers: ports must be numbers" >&2; usage; }
    command -v node >/dev/null 2>&1 || die "node not found: install Node.js (>= 20) and npm first"
    case "$tool" in
        postgres-meta)
            # postgres-meta also opens an admin listener (metrics) on <listen-port>+1, on the same
            # host: callers must leave <listen-port>+1 free as well. No auth; one PostgreSQL
            # connection per /query request.
            dir="$PEERS_DIR/postgres-meta/node_modules/@supabase/postgres-meta"
            check_installed "$tool" "$PG_META_VERSION" "$dir"
            cd "$dir" || die "cannot enter $dir"
            PG_META_HOST=127.0.0.1 PG_META_PORT="$listen" \
                PG_META_DB_HOST="$host" PG_META_DB_PORT="$port" PG_META_DB_NAME=postgres \
                PG_META_DB_USER=postgres PG_META_DB_PASSWORD='' \
                exec node dist/server/server.js
            ;;
        redis-commander)
            dir="$PEERS_DIR/redis-commander/node_modules/redis-commander"
            check_installed "$tool" "$REDIS_COMMANDER_VERSION" "$dir"
            cd "$dir" || die "cannot enter $dir"
            exec node bin/redis-commander.js --redis-host "$host" --redis-port "$port" \
                --address 127.0.0.1 --port "$listen" --nosave --noload
            ;;
        mongo-express)
            dir="$PEERS_DIR/mongo-express/package"
            check_installed "$tool" "$MONGO_EXPRESS_VERSION" "$dir"
            # It reads ./package.json and ./build-assets.json from the working directory.
            cd "$dir" || die "cannot enter $dir"
            # 1.0.2 has no default cookie/session secrets: without them every page answers 500
            # "secret option required for sessions" (only /status works). Fixed values are fine
            # for a local benchmark. ENABLE_ADMIN=true, as in its official Docker image, makes it
            # list every database (listDatabases); without it only the URL's database ("test",
            # as the URL names none) exists for it and /db/bench/... redirects to / ("Database not
            # found"). It re-lists databases and collections on every page request either way.
            ME_CONFIG_MONGODB_URL="mongodb://$host:$port/?directConnection=true" \
                ME_CONFIG_MONGODB_ENABLE_ADMIN=true \
                ME_CONFIG_BASICAUTH=false VCAP_APP_HOST=127.0.0.1 PORT="$listen" \
                ME_CONFIG_SITE_COOKIESECRET=switchboard-bench \
                ME_CONFIG_SITE_SESSIONSECRET=switchboard-bench \
                exec node app.js
            ;;
    esac
}

case "${1:-}" in
    install) shift; cmd_install "$@" ;;
    start) shift; cmd_start "$@" ;;
    *) usage ;;
esac
