#!/usr/bin/env bash
# DMS file settings under kill -9: while a writer inserts, updates and deletes, two tasks are killed at random
# moments and restarted. Task "all" (every change, YYYYMMDDHH/UNDERSCORE partitions in Asia/Kolkata, BucketFolder,
# CsvNoSupValue) re-writes the same names after each crash: no change is on disk twice and merge + validate are
# exact. Task "ins" (CdcInsertsOnly, IncludeOpForFullLoad false) holds every insert made after its load, once, and
# nothing else, although it drops most of what it reads.
source "$LOGTAP_SOURCE_DIR/tests/lib/itest.sh"
source "$LOGTAP_SOURCE_DIR/tests/lib/pg_server.sh"
require_pg
have_duckdb || { echo "skip: DuckDB is not installed (cd tests/tools && npm install)"; exit 77; }
dir=$(test_dir)
db=lt_dms_restart
fresh_db $db
psql -d $db -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE t (id serial PRIMARY KEY, v int NOT NULL, big text);
CREATE TABLE inserted (id int);
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO inserted VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER t_audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit();
INSERT INTO t (v, big) SELECT g, CASE WHEN g % 5 = 0 THEN (SELECT string_agg(md5((g * 100 + i)::text), '') FROM generate_series(1, 100) i) END
  FROM generate_series(1, 500) g;
SQL
cd "$dir"
rules='[{"rule-type":"selection","rule-id":"1","rule-name":"1","object-locator":{"schema-name":"public","table-name":"t"},"rule-action":"include"}]'
task() {
  cat >"$1.json" <<JSON
{
  "task": "restart_$1", "migration_type": "full-load-and-cdc",
  "source": {"engine": "postgres", "conninfo": "host=$PGHOST port=$PGPORT dbname=$db user=logtap"},
  "target": {"path": "lake-$1", "CdcMaxBatchInterval": 1, $2},
  "table_mappings": {"rules": $rules}
}
JSON
}
task all '"DatePartitionEnabled": true, "DatePartitionSequence": "YYYYMMDDHH", "DatePartitionDelimiter": "UNDERSCORE",
  "DatePartitionTimezone": "Asia/Kolkata", "BucketFolder": "b", "UseCsvNoSupValue": true, "CsvNoSupValue": "-",
  "TimestampColumnName": "ts"'
task ins '"CdcInsertsOnly": true, "DatePartitionEnabled": true'
for t in all ins; do
  run_logtap replicate --config $t.json --until now
  expect_eq "$rc" 0 "$t: full load and CDC start"
done
loaded_max=$(sql $db "SELECT max(id) FROM t")
writer() {
  local end=$((SECONDS + 8)) r
  while [ $SECONDS -lt $end ]; do
    r=$((RANDOM % 600 + 1))
    psql -d $db -q -c "BEGIN; INSERT INTO t (v) VALUES ($r); UPDATE t SET v = v + 1 WHERE id = $r;
      DELETE FROM t WHERE id = $((r + 7)); UPDATE t SET v = -v WHERE id = $((r + 3)); COMMIT;" >/dev/null 2>&1 || true
  done
}
writer &
w=$!
kills=0
for round in 1 2 3; do
  for t in all ins; do "$LOGTAP_BIN" replicate --config $t.json >>$t.log 2>&1 & eval "pid_$t=$!"; done
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 150) / 100 }')"
  for t in all ins; do
    eval "p=\$pid_$t"
    if kill -9 $p 2>/dev/null; then kills=$((kills + 1)); fi
    wait $p 2>/dev/null || true
  done
done
wait $w
expect_eq "$kills" 6 "both tasks killed with SIGKILL three times while the writer ran"
for t in all ins; do
  run_logtap replicate --config $t.json --until now
  expect_eq "$rc" 0 "$t: replicate --until now drains"
  [ "$rc" -eq 0 ] || echo "$out"
done

# all: one file per name, no change twice on disk, every file in an hour folder of Kolkata time; merge exact
files=$(find lake-all/b/public/t -name '2*.csv' | wc -l)
[ "$files" -ge 2 ] && ok "all: $files CDC files" || fail "all: only $files CDC files (the killed runs wrote none?)"
bad=$(find lake-all/b/public/t -name '2*.csv' | grep -cvE '/b/public/t/[0-9]{4}_[0-9]{2}_[0-9]{2}_[0-9]{2}/[0-9]{8}-[0-9]{9}\.csv$' || true)
expect_eq "$bad" 0 "all: every CDC file is in a YYYY_MM_DD_HH folder"
got=$(duckdb "SELECT count(*) - count(DISTINCT _logtap_pos) FROM read_csv('lake-all/b/public/t/*/*.csv', header=false, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true, columns={'Op':'VARCHAR','ts':'VARCHAR','id':'VARCHAR','v':'VARCHAR','big':'VARCHAR','_logtap_pos':'VARCHAR','_logtap_unchanged':'VARCHAR'})")
expect_eq "$got" 0 "all: no change is on disk twice (re-written files replaced their twins)"
mismatch=$(duckdb "SELECT count(*) FROM (SELECT filename, arg_min(ts, _logtap_pos) AS first_ts FROM read_csv('lake-all/b/public/t/*/*.csv', header=false, nullstr='NULL', allow_quoted_nulls=false, all_varchar=true, filename=true, columns={'Op':'VARCHAR','ts':'VARCHAR','id':'VARCHAR','v':'VARCHAR','big':'VARCHAR','_logtap_pos':'VARCHAR','_logtap_unchanged':'VARCHAR'}) GROUP BY filename) WHERE strftime(CAST(first_ts AS TIMESTAMP) + INTERVAL 330 MINUTE, '%Y_%m_%d_%H') <> split_part(filename, '/', -2)")
expect_eq "$mismatch" 0 "all: each file's folder is the Kolkata hour of its first change"
run_logtap merge --config all.json
expect_eq "$rc" 0 "all: merge"
run_logtap validate --config all.json
expect_eq "$rc" 0 "all: validate: the snapshot equals the source"
[ "$rc" -eq 0 ] || echo "$out"

# ins: exactly the inserts after the load, each once, no Op column
got=$(duckdb "SELECT string_agg(DISTINCT CAST(column_count AS VARCHAR), ',') FROM (SELECT count(*) AS column_count FROM (DESCRIBE SELECT * FROM read_csv('lake-ins/public/t/*/*/*/*.csv', header=false, all_varchar=true))) d")
expect_eq "$got" 5 "ins: CDC rows have id, v, big, _logtap_pos, _logtap_unchanged (no Op)"
sql $db "CREATE TABLE got (id int, v text, big text, pos text, unch text)"
for f in $(find lake-ins/public/t -name '2*.csv'); do
  psql -d $db -q -c "\\copy got FROM '$f' WITH (FORMAT csv, NULL 'NULL')"
done
expect_eq "$(sql $db "SELECT count(*) - count(DISTINCT pos) FROM got")" 0 "ins: no change twice on disk"
expect_eq "$(sql $db "SELECT count(*) FROM ((SELECT id FROM inserted WHERE id > $loaded_max EXCEPT ALL SELECT id FROM got) UNION ALL (SELECT id FROM got EXCEPT ALL SELECT id FROM inserted WHERE id > $loaded_max)) d")" 0 \
  "ins: every insert after the load, once, and nothing else ($(sql $db 'SELECT count(*) FROM got') rows)"
for t in all ins; do sql $db "SELECT pg_drop_replication_slot('logtap_restart_$t')" >/dev/null; done
finish
