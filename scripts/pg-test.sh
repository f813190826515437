#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: temp dir, free port, fsync off, trust auth for user
# `nac` on 127.0.0.1 only. Recipe: shared/TOOLCHAIN.md ("Hub era: PostgreSQL").
#
#   scripts/pg-test.sh start [--durable] [--tls] [--watch PID]
#                                            start one; print its URL on stdout (the data dir on
#                                            stderr); with --watch, stop and delete it when PID
#                                            exits; --durable keeps fsync and synchronous_commit
#                                            on (benchmarks: measure what a district would get);
#                                            --tls also serves TLS (ssl=on) with a server
#                                            certificate for IP 127.0.0.1 issued by a throwaway
#                                            CA whose certificate is DIR/tls/root.crt (plain
#                                            connections are still accepted)
#   scripts/pg-test.sh stop DIR              stop the cluster in DIR and delete DIR
#   scripts/pg-test.sh run CMD [ARGS...]     start one, run CMD with NAC_TEST_PG_URL set, stop it;
#                                            exits with CMD's status
#
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root). Exit 3 when
# PostgreSQL is not installed (apt-get install -y postgresql), 4 when it cannot start (or, with
# --tls, when openssl is missing).
set -euo pipefail

bindir() {
    local initdb
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$initdb" ]]; then
        initdb=$(command -v initdb || true)
    fi
    if [[ -z "$initdb" ]]; then
        echo "pg-test: PostgreSQL is not installed (apt-get install -y postgresql)" >&2
        exit 3
    fi
    dirname "$initdb"
}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    echo "pg-test: no free port" >&2
    exit 4
}

# A CA and a server certificate for 127.0.0.1 signed by it, in DIR/tls (P-256 keys, 7 days).
make_certs() {
    local tls="$1/tls"
    if ! command -v openssl >/dev/null; then
        echo "pg-test: --tls needs openssl" >&2
        exit 4
    fi
    mkdir -p "$tls"
    {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
            -subj "/CN=nac pg-test CA" -keyout "$tls/root.key" -out "$tls/root.crt" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=127.0.0.1" -keyout "$tls/server.key" -out "$tls/server.csr" &&
        printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tls/server.ext" &&
        openssl x509 -req -in "$tls/server.csr" -CA "$tls/root.crt" -CAkey "$tls/root.key" \
            -set_serial "0x$(openssl rand -hex 8)" -days 7 -extfile "$tls/server.ext" \
            -out "$tls/server.crt"
    } >"$1/openssl.log" 2>&1 || {
        cat "$1/openssl.log" >&2
        echo "pg-test: cannot make the TLS certificates" >&2
        exit 4
    }
    rm -f "$tls/root.key" "$tls/server.csr" "$tls/server.ext"
    chmod 755 "$tls"
    chmod 644 "$tls/root.crt" "$tls/server.crt"
    chmod 600 "$tls/server.key"
    if [[ $(id -u) -eq 0 ]]; then
        chown -R postgres "$tls"
    fi
}

start() {
    local watch="" speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" tls=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --watch) watch="$2"; shift 2 ;;
            --durable) speed=""; shift ;;
            --tls) tls=1; shift ;;
            *) echo "pg-test: unknown option $1" >&2; exit 2 ;;
        esac
    done
    local bin dir port
    bin=$(bindir)
    dir=$(mktemp -d /tmp/nac-pg.XXXXXX)
    chmod 755 "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres "$dir"
    fi
    port=$(free_port)
    local ssl=""
    if [[ -n "$tls" ]]; then
        make_certs "$dir"
        ssl="-c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key"
    fi
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U nac --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        echo "pg-test: initdb failed" >&2
        exit 4
    }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $speed $ssl -c max_connections=200" \
        >/dev/null 2>&1 || {
        cat "$dir/log" >&2 || true
        echo "pg-test: the server did not start" >&2
        exit 4
    }
    if [[ -n "$watch" ]]; then
        (
            trap '' HUP
            while kill -0 "$watch" 2>/dev/null; do sleep 1; done
            as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
            rm -rf "$dir"
        ) </dev/null >/dev/null 2>&1 &
        disown || true
    fi
    echo "pg-test: cluster in $dir" >&2
    if [[ -n "$tls" ]]; then
        echo "pg-test: CA certificate $dir/tls/root.crt" >&2
    fi
    echo "postgresql://nac@127.0.0.1:$port/postgres"
}

stop() {
    local dir="$1" bin
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start)
        shift
        start "$@"
        ;;
    stop)
        stop "$2"
        ;;
    run)
        shift
        url=$(start --watch $$ 2>/tmp/nac-pg-test.$$.err) || {
            cat /tmp/nac-pg-test.$$.err >&2
            exit 4
        }
        dir=$(sed -n 's/^pg-test: cluster in //p' /tmp/nac-pg-test.$$.err)
        rm -f /tmp/nac-pg-test.$$.err
        status=0
        NAC_TEST_PG_URL="$url" "$@" || status=$?
        stop "$dir"
        exit "$status"
        ;;
    *)
        sed -n '2,22p' "$0" >&2
        exit 2
        ;;
esac
