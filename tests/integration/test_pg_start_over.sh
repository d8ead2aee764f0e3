#!/usr/bin/env bash
# Starting a task over only on purpose: with its state store gone (deleted, or the whole lake removed) a task whose
# slot exists, or whose tables' folders hold files, is refused (exit 1) and its live slot is left alone;
# `replicate --start-over` begins it again, moving the old state store and files aside. The new run's publication
# gets the tables the new rules select before the slot's snapshot, so a table added to the rules has its changes
# streamed (a stale publication once silently dropped them).
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
require_pg
dir=$(test_dir)
db=lt_start_over
fresh_db $db
sql $db "CREATE TABLE a (id int PRIMARY KEY, v int); CREATE TABLE b (id int PRIMARY KEY, v int);
         INSERT INTO a SELECT g, g FROM generate_series(1, 100) g; INSERT INTO b SELECT g, g FROM generate_series(1, 50) g" >/dev/null
cd "$dir"
config() { # config TABLE_PATTERN
  cat >task.json <<JSON
{"task": "over", "migration_type": "full-load-and-cdc",
 "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
 "target": {"path": "lake"},
 "table_mappings": {"rules": [{"rule-type":"selection","rule-id":"1","rule-name":"1",
      "object-locator":{"schema-name":"public","table-name":"$1"},"rule-action":"include"}]}}
JSON
}
config a
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "first run, rules select a only"
slot_lsn() { sql $db "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'logtap_over'"; }
before=$(slot_lsn)

# the state store deleted, the files still there
rm lake/_state/over.db*
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "a lost state store with the slot and the files still there is refused"
echo "$out" | grep -q "replication slot logtap_over exists.*--start-over" && ok "it says why and how to start over" || fail "refusal: $out"
expect_eq "$(slot_lsn)" "$before" "the live slot is left alone"

# the whole lake removed, the rules widened: still refused (the slot)
rm -rf lake
config %
run_logtap replicate --config task.json --until now
expect_eq "$rc" 1 "a removed lake with the slot still there is refused"
expect_eq "$(slot_lsn)" "$before" "the live slot is still left alone"

# on purpose
mkdir -p lake/public/a && echo "an old file" > lake/public/a/20200101-000000000.csv
run_logtap replicate --config task.json --until now --start-over
expect_eq "$rc" 0 "--start-over begins the task again"
[ -f lake/_replaced-*/public/a/20200101-000000000.csv ] && ok "the old files are moved aside, not deleted" || fail "old files: $(find lake -name '20200101*')"
expect_eq "$(ls lake/public/a)" "LOAD00000001.csv" "a's folder holds only the new load"
expect_eq "$(sql $db "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'logtap_over'")" "a,b" \
  "the publication lists the tables the new rules select"
sql $db "INSERT INTO b VALUES (1000, 1); UPDATE a SET v = 0 WHERE id = 1" >/dev/null
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "CDC after starting over"
expect_eq "$(cat $(find lake/public/b -name '2*.csv') 2>/dev/null | grep -c '^I,1000,1,')" 1 "b's change is streamed"
expect_eq "$(cat $(find lake/public/a -name '2*.csv') 2>/dev/null | grep -c '^U,1,0,')" 1 "a's change is streamed"
run_logtap replicate --config task.json --until now
expect_eq "$rc" 0 "a later run of the started-over task is not refused"
sql $db "SELECT pg_drop_replication_slot('logtap_over')" >/dev/null
finish
