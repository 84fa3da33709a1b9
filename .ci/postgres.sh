#!/usr/bin/env bash
# A throw-away PostgreSQL server on 127.0.0.1 for the collect tests (tests/test_collect_postgres.py).
#
#   url=$(bash .ci/postgres.sh)      start one; print nothing but its SQLAlchemy URL
#   source .ci/postgres.sh           start one; export XLTARGETS_TEST_PG_URL (prints nothing)
#   bash .ci/postgres.sh stop        stop every server this script started and delete their data
#
# Installs Debian's postgresql when it is missing (as root, with apt-get). The server runs from a
# fresh data folder under $XLTARGETS_PG_BASE (default /tmp/xltargets-pg), as the postgres user
# when we are root (initdb refuses root), listens on 127.0.0.1 only, on a free port, with trust
# authentication for that address: a test server, never a real one. Everything else the tools
# say goes to stderr, so that $(...) captures the URL alone.

_xlt_pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then
        dir=$(dirname "$(command -v pg_ctl)")
    fi
    printf '%s' "$dir"
}

_xlt_pg_as() {  # run a command as the server's owner
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_xlt_pg_start() (
    set -euo pipefail
    base=${XLTARGETS_PG_BASE:-/tmp/xltargets-pg}
    bin=$(_xlt_pg_bin)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                postgresql >/dev/null 2>&1 || true
            bin=$(_xlt_pg_bin)
        fi
        if [ -z "$bin" ]; then
            echo "postgres.sh: PostgreSQL is not installed and cannot be installed here" >&2
            exit 1
        fi
    fi
    mkdir -p "$base"
    chmod 755 "$base"
    data=$(mktemp -d "$base/cluster.XXXXXX")
    chmod 700 "$data"
    [ "$(id -u)" = 0 ] && chown postgres: "$data"
    log="$data/setup.log"
    : >"$log"
    [ "$(id -u)" = 0 ] && chown postgres: "$log"
    quiet() {  # the tools' chatter goes to the log, shown only when a step fails
        "$@" >>"$log" 2>&1 || { cat "$log" >&2; echo "postgres.sh: failed: $*" >&2; return 1; }
    }
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    if ! _xlt_pg_as "$bin/initdb" -D "$data/db" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >>"$log" 2>&1; then
        rm -rf "${data:?}/db"  # no C.UTF-8 locale on this system: plain C
        quiet _xlt_pg_as "$bin/initdb" -D "$data/db" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C
    fi
    quiet _xlt_pg_as "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off" start
    quiet _xlt_pg_as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres xltargets_test
    printf 'postgresql+psycopg://postgres@127.0.0.1:%s/xltargets_test\n' "$port"
)

_xlt_pg_stop() (
    set -uo pipefail
    base=${XLTARGETS_PG_BASE:-/tmp/xltargets-pg}
    bin=$(_xlt_pg_bin)
    for data in "$base"/cluster.*; do
        [ -d "$data" ] || continue
        if [ -n "$bin" ] && [ -f "$data/db/postmaster.pid" ]; then
            _xlt_pg_as "$bin/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$data"
    done
)

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # sourced: export the URL into the caller's shell, leave its options alone
    XLTARGETS_TEST_PG_URL=$(_xlt_pg_start) && export XLTARGETS_TEST_PG_URL
elif [ "${1:-start}" = stop ]; then
    _xlt_pg_stop
else
    _xlt_pg_start
fi
