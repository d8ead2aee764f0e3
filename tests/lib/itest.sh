# Helpers for integration tests (sourced). Tests run under ctest with LOGTAP_BIN, LOGTAP_SOURCE_DIR and
# LOGTAP_TEST_TMP set, against the servers tests/run.sh started (PGHOST/PGPORT). Exit 77 = skipped.
# no pipefail: `echo "$out" | grep -q` would fail at random when grep exits before echo has written (SIGPIPE)
set -eu

: "${LOGTAP_BIN:?run this test through ctest (tests/run.sh)}"
: "${LOGTAP_SOURCE_DIR:?run this test through ctest (tests/run.sh)}"

failures=0
checks=0

require_pg() {
  if [ -z "${PGHOST:-}" ] || ! psql -d postgres -qAtc 'select 1' >/dev/null 2>&1; then
    echo "skip: no PostgreSQL server (start the suite with tests/run.sh)"
    exit 77
  fi
}

# require_own_pg: the test gets a PostgreSQL server of its own, in a temp dir on a free port, stopped when the test
# exits; PGHOST/PGPORT point at it. For tests with long transactions: creating a logical slot waits for every
# transaction running on the server, so one test's 30 s UPDATE on the shared server held every test beside it.
require_own_pg() {
  require_pg
  source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
  own_pg_dir=$(mktemp -d /tmp/logtap-own-pg.XXXXXX)
  chmod 755 "$own_pg_dir"
  trap 'pg_server_stop "$own_pg_dir/pg"; rm -rf "$own_pg_dir"' EXIT
  local port
  for _ in 1 2 3 4 5; do
    port=$((40000 + RANDOM % 20000))
    (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue   # taken
    rm -rf "$own_pg_dir/pg"
    pg_server_start "$own_pg_dir/pg" "$port" 2>"$own_pg_dir/start.err" && return 0
  done
  echo "FAILED: could not start a PostgreSQL server of the test's own: $(tail -3 "$own_pg_dir/start.err")"
  exit 1
}

# Waits until the replicate log $1 says its change stream runs (started after a full load, or resumed from a
# checkpoint), at most $2 seconds (60 unless given); returns 1, saying so, when it never does.
wait_cdc() {
  local i
  for ((i = 0; i < ${2:-60} * 10; i++)); do
    grep -q "change data capture starts\|resuming change data capture" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "note: $1 never said that change data capture runs"
  return 1
}

# A fresh work dir for this test.
test_dir() {
  local d="${LOGTAP_TEST_TMP:-/tmp}/$(basename "$0" .sh).$$"
  rm -rf "$d"
  mkdir -p "$d"
  echo "$d"
}

# A fresh database named $1 (dropped first when it exists).
fresh_db() {
  psql -d postgres -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\"" >/dev/null
}

sql() { # sql DB "statement"  -> unaligned, tuples only
  psql -d "$1" -qAt -v ON_ERROR_STOP=1 -c "$2"
}

ok() { checks=$((checks + 1)); echo "ok: $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAILED: $*"; }

expect_eq() { # expect_eq ACTUAL EXPECTED DESCRIPTION
  if [ "$1" == "$2" ]; then ok "$3"; else fail "$3: got [$1], expected [$2]"; fi
}

# Runs logtap, capturing exit code in $rc and output in $out (stdout+stderr).
run_logtap() {
  set +e
  out=$("$LOGTAP_BIN" "$@" 2>&1)
  rc=$?
  set -e
}

# A task config for a PostgreSQL database; extra target settings as a JSON fragment in $3 (may be empty).
write_pg_config() { # write_pg_config FILE DB "EXTRA_TARGET_JSON" [RULES_JSON]
  local file=$1 db=$2 extra=${3:-} rules=${4:-}
  [ -n "$rules" ] || rules='[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]'
  cat >"$file" <<JSON
{
  "task": "$db",
  "migration_type": "full-load",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake"${extra:+, $extra}},
  "table_mappings": {"rules": $rules}
}
JSON
}

# The files a run left under DIR, the task's lock file aside (a run refused by the pre-flight check has taken it).
files_written() { find "$1" -type f ! -name '*.lock' 2>/dev/null || true; }

duckdb() { # duckdb "SQL"...  -> tab-separated rows
  node "$LOGTAP_SOURCE_DIR/tests/tools/duckdb_query.mjs" "$@"
}

have_duckdb() { [ -d "$LOGTAP_SOURCE_DIR/tests/tools/node_modules/@duckdb/node-api" ]; }

# Peak resident memory (kB) of a command: polls VmHWM until it exits. Sets $rc and $peak_kb.
run_measuring_rss() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  local pid=$! hwm
  peak_kb=0
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$hwm" ] && [ "$hwm" -gt "$peak_kb" ] && peak_kb=$hwm
    sleep 0.05
  done
  set +e
  wait "$pid"
  rc=$?
  set -e
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
