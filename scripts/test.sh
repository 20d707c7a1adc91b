#!/usr/bin/env bash
# Run the whole test suite against real components: a throwaway PostgreSQL server and Debian's
# Chromium. On a fresh Debian machine (as root, as CI runs it) the two are installed with apt-get
# when missing. Arguments go to pytest: `bash scripts/test.sh tests/queue -k webhook`.
#
# The cluster lives in a temporary folder, listens on a free port on 127.0.0.1 only, and is
# stopped and deleted on exit, whatever happens. If it cannot start, the script fails loudly:
# tests marked `postgres` must run, never skip, in CI.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[[ -x $PYTHON ]] || { echo "test.sh: no $PYTHON; run 'make test' (it creates the venv)" >&2; exit 1; }

find_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]] && echo "$dir"
}

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
PG_BIN=$(find_pg_bin || true)
[[ -n $PG_BIN ]] || missing+=(postgresql)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' first" >&2
    exit 1
  fi
  echo "test.sh: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  PG_BIN=$(find_pg_bin || true)
  [[ -n $PG_BIN ]] || { echo "test.sh: PostgreSQL is still not installed" >&2; exit 1; }
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
PG_ROOT=$(mktemp -d /tmp/moderation-test-pg.XXXXXX)
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres:postgres "$PG_ROOT"
  as_pg=(runuser -u postgres --)
fi

stop_postgres() {
  local status=$?
  if [[ -f $PG_ROOT/data/postmaster.pid ]]; then
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_ROOT"
  exit "$status"
}
trap stop_postgres EXIT
trap 'exit 130' INT TERM

PG_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_ROOT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$PG_ROOT/initdb.log" 2>&1; then
  cat "$PG_ROOT/initdb.log" >&2
  echo "test.sh: FAILED to create a PostgreSQL cluster; postgres tests cannot run" >&2
  exit 1
fi
# fsync off: this cluster holds nothing worth keeping, and the suite runs faster.
if ! "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_ROOT -c fsync=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null; then
  cat "$PG_ROOT/server.log" >&2 || true
  echo "test.sh: FAILED to start PostgreSQL; postgres tests cannot run" >&2
  exit 1
fi

export MODERATION_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
export MODERATION_TEST_CHROMIUM=/usr/bin/chromium
# The suite must not skip the real-component tests because a variable went missing.
export MODERATION_TEST_REQUIRE_REAL=1
echo "test.sh: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT" >&2

"$PYTHON" -m pytest "$@"
