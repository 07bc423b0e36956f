#!/usr/bin/env bash
# Make sure the system packages the test suite needs are installed (Debian/Ubuntu):
#   - postgresql: server binaries (initdb, pg_ctl) for scripts/with-postgres.sh
#   - chromium:   /usr/bin/chromium for the browser tests
# Idempotent and silent when everything is already there. Installs only through
# apt-get; never downloads a browser any other way.
set -euo pipefail

have_postgres_server() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            return 0
        fi
    done
    return 1
}

have_chromium() {
    [[ -x /usr/bin/chromium ]]
}

missing=()
have_postgres_server || missing+=(postgresql)
have_chromium || missing+=(chromium)

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "system-deps: installing missing Debian packages: ${missing[*]}" >&2

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: error: apt-get not found. Please install these packages with your" \
        "system package manager: ${missing[*]} (PostgreSQL server binaries initdb/pg_ctl," \
        "and a Chromium at /usr/bin/chromium)." >&2
    exit 1
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "system-deps: error: not root and sudo is not available. Please run as root:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

apt_env=(env DEBIAN_FRONTEND=noninteractive)
"${as_root[@]}" "${apt_env[@]}" apt-get update
"${as_root[@]}" "${apt_env[@]}" apt-get install -y --no-install-recommends "${missing[@]}"

still_missing=()
have_postgres_server || still_missing+=("postgresql (initdb, pg_ctl under /usr/lib/postgresql/*/bin)")
have_chromium || still_missing+=("chromium (/usr/bin/chromium)")
if [[ ${#still_missing[@]} -ne 0 ]]; then
    printf 'system-deps: error: still missing after apt-get install: %s\n' "${still_missing[@]}" >&2
    exit 1
fi
