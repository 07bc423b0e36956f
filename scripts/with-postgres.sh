#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Start a throwaway PostgreSQL server (loopback only, free port, temporary data
# directory), run CMD with LANGGRAPH_HITL_TEST_POSTGRES_URL pointing at it, then
# stop the server and delete its data directory, also when CMD fails or the
# script is interrupted. Exits with CMD's exit code.
#
# Every role logs in without a password (trust), except one: the role
# "lghitl_password" must give its password on TCP (scram-sha-256), so tests can
# see a real "password authentication failed". Its URL, with the right
# password and a database of its own, is in LANGGRAPH_HITL_TEST_POSTGRES_PASSWORD_URL
# (needs psql, as the Debian package postgresql has it).
#
# If LANGGRAPH_HITL_TEST_POSTGRES_URL is already set, nothing is started and
# CMD is run as-is against that server.
#
# PostgreSQL refuses to run as root: when run as root, the server runs as an
# unprivileged system user (created if missing, default "lghitl").
#
# Optional environment:
#   PG_BINDIR                    directory holding initdb/postgres (default: newest
#                                /usr/lib/postgresql/*/bin, else from PATH)
#   LANGGRAPH_HITL_PG_OS_USER    system user for the server when root (default lghitl)
#   LANGGRAPH_HITL_PG_TIMEOUT    seconds to wait for the server to be ready (default 60)
set -euo pipefail

prog=with-postgres

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

if [[ -n "${LANGGRAPH_HITL_TEST_POSTGRES_URL:-}" ]]; then
    exec "$@"
fi

die() {
    echo "$prog: error: $*" >&2
    exit 1
}

# --- locate the server binaries ---------------------------------------------
find_bindir() {
    local dir
    if [[ -n "${PG_BINDIR:-}" ]]; then
        printf '%s\n' "$PG_BINDIR"
        return 0
    fi
    # Newest installed major version first.
    while IFS= read -r dir; do
        if [[ -x "$dir/initdb" && -x "$dir/postgres" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV)
    if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

bindir=$(find_bindir) ||
    die "PostgreSQL server binaries (initdb, postgres) not found; run 'bash scripts/system-deps.sh' (Debian package: postgresql)"
for tool in initdb postgres pg_isready createdb; do
    [[ -x "$bindir/$tool" ]] || die "$bindir/$tool not found or not executable"
done

# --- who runs the server -----------------------------------------------------
is_root=false
if [[ $(id -u) -eq 0 ]]; then
    is_root=true
    pg_os_user=${LANGGRAPH_HITL_PG_OS_USER:-lghitl}
    if ! getent passwd "$pg_os_user" >/dev/null; then
        nologin=/usr/sbin/nologin
        [[ -x $nologin ]] || nologin=/bin/false
        # A parallel run may create it at the same time: accept that.
        useradd --system --no-create-home --home-dir /nonexistent --shell "$nologin" \
            --user-group "$pg_os_user" 2>/dev/null ||
            getent passwd "$pg_os_user" >/dev/null ||
            die "could not create system user '$pg_os_user' to run PostgreSQL (it refuses to run as root)"
    fi
else
    pg_os_user=$(id -un)
fi

# Run a command as the server's user, from a directory that user can enter.
as_pg() {
    if [[ $is_root == true ]]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$tmpdir" && runuser -u "$pg_os_user" -- "$@")
        else
            (cd "$tmpdir" && su -s /bin/sh "$pg_os_user" -c "$(printf '%q ' "$@")")
        fi
    else
        (cd "$tmpdir" && "$@")
    fi
}

# --- temporary directory and cleanup ---------------------------------------
tmpdir=
datadir=
logfile=
server_pid=

# Is our server child still running (not exited, not a zombie)?
server_running() {
    local state=
    [[ -n $server_pid ]] || return 1
    if [[ -r /proc/$server_pid/status ]]; then
        state=$(awk '/^State:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null) || return 1
        [[ -n $state && $state != Z ]]
    else
        kill -0 "$server_pid" 2>/dev/null
    fi
}

# Fast shutdown (SIGINT), SIGKILL after 20 s, then reap the process ourselves,
# so no zombie or orphan postgres is left behind.
stop_server() {
    local i
    [[ -n $server_pid ]] || return 0
    if server_running; then
        kill -INT "$server_pid" 2>/dev/null
        for ((i = 0; i < 200; i++)); do
            server_running || break
            sleep 0.1
        done
        if server_running; then
            echo "$prog: PostgreSQL did not stop within 20s, killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null
        fi
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    return 0
}

# shellcheck disable=SC2317  # invoked through the EXIT trap
cleanup() {
    set +e
    stop_server
    if [[ -n $tmpdir && -d $tmpdir ]]; then
        rm -rf -- "$tmpdir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/lghitl-pg.XXXXXX")
if [[ $is_root == true ]]; then
    chown "$pg_os_user:" "$tmpdir"
    chmod 700 "$tmpdir"
    if ! as_pg test -w "$tmpdir" 2>/dev/null; then
        # TMPDIR is not reachable by the unprivileged user (e.g. under /root).
        rm -rf -- "$tmpdir"
        tmpdir=$(mktemp -d /tmp/lghitl-pg.XXXXXX)
        chown "$pg_os_user:" "$tmpdir"
        chmod 700 "$tmpdir"
    fi
fi
datadir=$tmpdir/data
logfile=$tmpdir/postgres.log

show_log_tail() {
    if [[ -f $logfile ]]; then
        echo "$prog: --- last lines of the server log ---" >&2
        tail -n 40 "$logfile" >&2
        echo "$prog: --- end of server log ---" >&2
    fi
}

# --- create the cluster -------------------------------------------------------
pg_superuser=postgres
dbname=langgraph_hitl_test

if ! as_pg "$bindir/initdb" -D "$datadir" -U "$pg_superuser" --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$tmpdir/initdb.log" 2>&1; then
    tail -n 40 "$tmpdir/initdb.log" >&2
    die "initdb failed (as user '$pg_os_user')"
fi

# Test-only settings: loopback only, fast and not crash-safe.
cat >>"$datadir/postgresql.conf" <<EOF

# --- added by scripts/with-postgres.sh (throwaway test server) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmpdir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
jit = off
logging_collector = off
timezone = 'UTC'
EOF

# One role that must give its password (first matching line wins, so it goes
# before initdb's trust lines). Rewritten in place: owner and mode are kept.
password_role=lghitl_password
hba=$(cat "$datadir/pg_hba.conf")
printf '%s\n%s\n' \
    "host all $password_role 127.0.0.1/32 scram-sha-256  # added by scripts/with-postgres.sh" \
    "$hba" >"$datadir/pg_hba.conf"

# --- start on a free port (retry if the port got taken meanwhile) -----------
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
    else
        echo $((20000 + RANDOM % 40000))
    fi
}

# Start the postmaster as a direct child of this script (exec, no pg_ctl), so
# the script can wait for it and reap it: no orphaned or zombie processes.
start_server() {
    local port=$1
    local -a cmd=("$bindir/postgres" -D "$datadir" -p "$port")
    if [[ $is_root == true ]]; then
        if command -v setpriv >/dev/null 2>&1; then
            cmd=(setpriv --reuid="$pg_os_user" --regid="$pg_os_user" --init-groups -- "${cmd[@]}")
        else
            cmd=(runuser -u "$pg_os_user" -- "${cmd[@]}")
        fi
    fi
    # Own session: a Ctrl-C on the terminal reaches CMD, not the server (this
    # script stops it afterwards). The subshell is not a process group leader
    # (no job control here), so setsid execs in place and $! stays the server.
    if command -v setsid >/dev/null 2>&1; then
        cmd=(setsid -- "${cmd[@]}")
    fi
    (
        cd "$tmpdir" || exit 1
        exec "${cmd[@]}"
    ) </dev/null >"$logfile" 2>&1 &
    server_pid=$!
}

# Ready when the postmaster says so in its pid file (so it is really ours on
# that port) and it accepts a TCP connection the way the clients will connect.
server_ready() {
    local port=$1 status
    [[ -f $datadir/postmaster.pid ]] || return 1
    status=$(sed -n 8p "$datadir/postmaster.pid" 2>/dev/null | tr -d '[:space:]')
    [[ $status == ready ]] || return 1
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$pg_superuser" -d postgres -t 2
}

timeout=${LANGGRAPH_HITL_PG_TIMEOUT:-60}
started=false
port=
for _attempt in 1 2 3 4 5; do
    port=$(free_port)
    start_server "$port"
    deadline=$((SECONDS + timeout))
    while ! server_ready "$port"; do
        if ! server_running; then
            break
        fi
        if ((SECONDS >= deadline)); then
            show_log_tail
            die "PostgreSQL not ready on 127.0.0.1:$port after ${timeout}s (data dir $datadir)"
        fi
        sleep 0.1
    done
    if server_running; then
        started=true
        break
    fi
    stop_server
    # The free port may have been taken in the meantime: try another one.
    if grep -qE 'could not bind|could not create listen socket|Address already in use' \
        "$logfile" 2>/dev/null; then
        continue
    fi
    break
done
if [[ $started != true ]]; then
    show_log_tail
    die "PostgreSQL did not start (data dir $datadir, port $port, server run as $pg_os_user)"
fi

if ! "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$pg_superuser" "$dbname"; then
    show_log_tail
    die "could not create database '$dbname'"
fi

# The password role (hex password: nothing to quote in SQL or in a URL), with a
# database of its own that it may set up.
# Without psql, the tests that need it skip (they say why).
password_url=
if [[ -x $bindir/psql ]]; then
    password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
    if ! "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$pg_superuser" \
        -d "$dbname" -c "CREATE ROLE $password_role LOGIN PASSWORD '$password'" ||
        ! "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$pg_superuser" -O "$password_role" \
            "$password_role"; then
        show_log_tail
        die "could not create the role '$password_role' and its database"
    fi
    password_url="postgresql://$password_role:$password@127.0.0.1:$port/$password_role?sslmode=disable"
else
    echo "$prog: $bindir/psql not found: no password role (LANGGRAPH_HITL_TEST_POSTGRES_PASSWORD_URL unset)" >&2
fi

version=$("$bindir/postgres" --version | sed -E 's/^[^0-9]*([0-9][0-9.]*).*/\1/')
url="postgresql://$pg_superuser@127.0.0.1:$port/$dbname?sslmode=disable"
echo "$prog: PostgreSQL $version listening on 127.0.0.1:$port (database $dbname, user $pg_superuser, data dir $datadir, server run as $pg_os_user)" >&2

# --- run the command ------------------------------------------------------------
export LANGGRAPH_HITL_TEST_POSTGRES_URL=$url
if [[ -n $password_url ]]; then
    export LANGGRAPH_HITL_TEST_POSTGRES_PASSWORD_URL=$password_url
fi
set +e
"$@"
rc=$?
set -e
exit "$rc"
