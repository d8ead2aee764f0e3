#!/usr/bin/env bash
# CDC golden test: pgcopydb's cdc-pgoutput test (../shared/datasets/pgcopydb-cdc-pgoutput, see its SOURCE.txt)
# replayed on Pagila. logtap (migration_type cdc) must write exactly the 85 changes pgoutput produced for
# pgcopydb, under logtap's documented transformations (partition -> root table, UPDATE -> D+I on tables without
# a primary key or when the key changes, key-only D with the other columns in _logtap_unchanged, TRUNCATE in the
# state store, no generated columns), with quoted, dotted, spaced and 63-byte identifiers round-tripping to their
# escaped folder names and to the header row. The comparison is tests/tools/golden_compare.mjs.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
datasets="$LOGTAP_SOURCE_DIR/../shared/datasets"
golden="$datasets/pgcopydb-cdc-pgoutput"
pagila="$datasets/pagila"
if [ ! -f "$golden/output.pgout" ] || [ ! -f "$pagila/pagila-schema.sql" ]; then
  echo "skip: $golden or $pagila is absent (the shared datasets are not beside this checkout)"
  exit 77
fi
command -v node >/dev/null || { echo "skip: node is not installed (needed by tests/tools/golden_compare.mjs)"; exit 77; }
require_pg
dir=$(test_dir)
db=lt_golden
slot=lt_golden_slot
# a slot left by an interrupted run would keep the database from being dropped
sql postgres "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
fresh_db $db
# The database's settings are the walsender's defaults, the ones pgoutput formats values with. logtap writes
# timestamptz in UTC and dates in ISO whatever the server's defaults: a zone far from UTC and a non-ISO DateStyle
# check that its replication connection sets its own session (LOGTAP_GOLDEN_SERVER_TZ picks another zone).
sql postgres "ALTER DATABASE $db SET timezone = '${LOGTAP_GOLDEN_SERVER_TZ:-Asia/Kolkata}'" >/dev/null
sql postgres "ALTER DATABASE $db SET datestyle = 'SQL, DMY'" >/dev/null

# The expected output was produced in UTC: the SQL files run in UTC (dml.sql casts '2022-06-01' to timestamptz,
# which also picks the payment partition).
load() { # load FILE  (psql variables and \set need psql -f)
  PGTZ=UTC psql -d $db -q -v ON_ERROR_STOP=1 -f "$1" >>"$dir/psql.log" 2>&1 || { fail "loading $(basename "$1"): $(tail -3 "$dir/psql.log")"; finish; exit 1; }
}
load "$pagila/pagila-schema.sql"                # 1.
load "$pagila/pagila-data.sql"
load "$golden/ddl.sql"                          # 2.
load "$golden/special-ddl.sql"                  # 3.
load "$golden/special-dml.sql"                  # 4. before the slot exists: not in the expected output
ok "pagila, ddl.sql, special-ddl.sql and special-dml.sql loaded"

cd "$dir"
cat >task.json <<JSON
{
  "task": "golden",
  "migration_type": "cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap",
             "slot": "$slot", "publication": "lt_golden_pub"},
  "target": {"path": "lake", "AddColumnName": true},
  "table_mappings": {"rules": [
    {"rule-type":"selection","rule-id":"1","rule-name":"all","object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"},
    {"rule-type":"selection","rule-id":"2","rule-name":"no-information-schema","object-locator":{"schema-name":"information_schema","table-name":"%"},"rule-action":"exclude"},
    {"rule-type":"selection","rule-id":"3","rule-name":"no-pg-catalog","object-locator":{"schema-name":"pg_catalog","table-name":"%"},"rule-action":"exclude"}]}
}
JSON
run_logtap replicate --config task.json --until now    # 5. publication and slot
expect_eq "$rc" 0 "replicate --until now creates the publication and the slot"
[ "$rc" -eq 0 ] || echo "$out"
expect_eq "$(sql $db "SELECT plugin FROM pg_replication_slots WHERE slot_name = '$slot'")" pgoutput "slot $slot uses pgoutput"

load "$golden/dml.sql"                          # 6.
load "$golden/special-dml.sql"                  # 7.
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "replicate --until now captures dml.sql and special-dml.sql"
[ "$rc" -eq 0 ] || echo "$out"

# What the comparison needs from the source: each table's root (partitions), columns in table order without the
# generated ones, generated columns, and the root's primary key.
sql $db "
  WITH t AS (
    SELECT c.oid, n.nspname, c.relname,
           CASE WHEN c.relispartition THEN pg_partition_root(c.oid) ELSE c.oid END AS root
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))
  SELECT json_agg(json_build_object(
    'schema', t.nspname, 'table', t.relname, 'root_schema', rn.nspname, 'root_table', rc.relname,
    'columns', (SELECT coalesce(json_agg(attname ORDER BY attnum), '[]') FROM pg_attribute
                 WHERE attrelid = t.oid AND attnum > 0 AND NOT attisdropped AND attgenerated = ''),
    'generated', (SELECT coalesce(json_agg(attname ORDER BY attnum), '[]') FROM pg_attribute
                   WHERE attrelid = t.oid AND attnum > 0 AND NOT attisdropped AND attgenerated <> ''),
    'key', (SELECT coalesce(json_agg(a.attname ORDER BY a.attnum), '[]') FROM pg_index i
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = t.root AND i.indisprimary)))
    FROM t JOIN pg_class rc ON rc.oid = t.root JOIN pg_namespace rn ON rn.oid = rc.relnamespace" >catalog.json
"$LOGTAP_BIN" status --config task.json --json >status.json 2>status.err && ok "status --json" \
  || fail "status --json: $(cat status.err)"
# The events table directly when the sqlite3 CLI is there (it may not be on a fresh machine: status is enough).
events=()
if command -v sqlite3 >/dev/null; then
  sqlite3 -json lake/_state/golden.db "SELECT t.schema_name AS schema, t.table_name AS 'table', e.kind, e.pos
      FROM events e JOIN tables t ON t.id = e.table_id ORDER BY e.pos" >events.json
  [ -s events.json ] || echo '[]' >events.json
  events=(events.json)
fi
if node "$LOGTAP_SOURCE_DIR/tests/tools/golden_compare.mjs" "$golden/output.pgout" lake catalog.json status.json \
    "${events[@]}" >compare.log 2>&1; then
  ok "all 85 expected changes match logtap's records ($(grep '^expected changes' compare.log))"
else
  fail "golden comparison (see $dir/compare.log)"
fi
sed 's/^/  | /' compare.log
sql $db "SELECT pg_drop_replication_slot('$slot')" >/dev/null
finish
