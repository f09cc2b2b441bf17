#!/usr/bin/env bash
# One command on a fresh machine: install what is needed, start throwaway PostgreSQL, run lint (ruff, ESLint),
# types (mypy), the import contracts (import-linter) and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# A throwaway PostgreSQL 15 cluster in a temp folder, owned by the postgres user (initdb refuses root).
PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=$(mktemp -d /tmp/vrstore-pg.XXXXXX)
PG_PORT=${VRSTORE_TEST_PG_PORT:-55432}
chown postgres:postgres "$PG_DIR"
cleanup() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
runuser -u postgres -- "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q \
  -c "CREATE DATABASE vrstore_test" >/dev/null
export VRSTORE_TEST_PG_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/vrstore_test"

echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports --no-cache
echo "== eslint"; npx --no-install eslint --max-warnings=0 .
# One pytest-xdist worker per core (a third measured no faster: the suite is CPU-bound once nothing sleeps).
# loadfile keeps a file on one worker (its module fixtures start once).
echo "== pytest"; .venv/bin/pytest -n 2 --dist loadfile "$@"
